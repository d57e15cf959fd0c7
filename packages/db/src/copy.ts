import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type postgres from "postgres";
import type { Db, Tx } from "./client";

/** A value of a COPY row: text, a number, or null (`\N`). */
export type CopyValue = string | number | null;

const special = /[\\\t\n\r]/;
const specials = /[\\\t\n\r]/g;
const escapes: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/**
 * One field in COPY's text format: null as `\N`, and the backslash, tab, newline and carriage
 * return escaped, so no value can end its field or row early or read as an escape (a value `\N`
 * stays the two characters; the empty string stays empty, not null). Everything else is itself.
 * A NUL character cannot be stored in Postgres text at all: the COPY refuses it (22021).
 */
export function copyField(value: CopyValue): string {
  if (value === null) return "\\N";
  const text = String(value);
  return special.test(text) ? text.replace(specials, (character) => escapes[character] as string) : text;
}

/** One row of COPY's text format, its fields separated by tabs, ended by a newline. */
export function copyRow(values: readonly CopyValue[]): string {
  let row = "";
  for (let index = 0; index < values.length; index++) row += (index === 0 ? "" : "\t") + copyField(values[index] ?? null);
  return `${row}\n`;
}

/** COPY data: text or bytes, in one piece or several. */
export type CopyData = string | Uint8Array | readonly (string | Uint8Array)[];

const piecesOf = (data: CopyData): readonly (string | Uint8Array)[] => (typeof data === "string" || data instanceof Uint8Array ? [data] : data);

/** A transaction that can also stream rows in with COPY: `tx` runs its statements, `copy` its COPYs. */
export type CopyingTransaction = {
  tx: Tx;
  /**
   * COPYs `data` (rows of `copyRow`, in COPY's text format, or their UTF-8; one piece or several,
   * each whole rows, sent as they are) into `target` (a table and its columns, `name (a, b)`);
   * resolves once Postgres has them, rejects with its error.
   */
  copy: (target: string, data: CopyData) => Promise<void>;
};

/** Runs `work` in one transaction that can COPY; committed when it resolves, rolled back when it throws. */
export type CopyingTransactions = <T>(work: (transaction: CopyingTransaction) => Promise<T>) => Promise<T>;

export const isPostgresJs = (client: unknown): client is postgres.Sql => typeof client === "function" && "begin" in client && "unsafe" in client;

/**
 * Transactions that can COPY rows in, on either driver. A COPY runs on the transaction's own
 * connection, which drizzle's sessions keep as `client` (not in drizzle's types; a test covers
 * both): postgres.js streams `COPY … FROM STDIN`; PGlite reads the rows from a blob handed to
 * the query (`FROM '/dev/blob'`), its way of taking COPY data.
 */
export function copyingTransactions(db: Db): CopyingTransactions {
  const client = (db as unknown as { $client?: unknown }).$client;
  const sessionOf = (tx: Tx) => (tx as unknown as { session: { client: unknown } }).session.client;
  if (isPostgresJs(client)) {
    return (work) =>
      db.transaction((tx) => {
        const sql = sessionOf(tx) as postgres.TransactionSql;
        return work({ tx, copy: async (target, data) => pipeline(Readable.from(piecesOf(data)), await sql.unsafe(`copy ${target} from stdin`).writable()) });
      });
  }
  if (client instanceof PGlite) {
    return (work) =>
      db.transaction((tx) => {
        const pglite = sessionOf(tx) as Transaction;
        return work({
          tx,
          copy: async (target, data) =>
            void (await pglite.query(`copy ${target} from '/dev/blob'`, [], { blob: new Blob(piecesOf(data) as (string | Uint8Array<ArrayBuffer>)[]) })),
        });
      });
  }
  throw new Error("copyingTransactions: a database of postgres.js or PGlite");
}
