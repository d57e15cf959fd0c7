import { PGlite } from "@electric-sql/pglite";
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Db } from "./client";
import { queryRows } from "./client";
import { isPostgresJs } from "./copy";

type Row = Record<string, unknown>;

/**
 * Runs statements one after another on one connection, each in a transaction of its own, so each
 * sees what the ones before it committed; each settles alone (one failing does not stop the next).
 * On postgres.js they are sent together, each behind the one before without waiting for its answer
 * (pipelined on a reserved connection): one round trip for all. Rows come as queryRows gives them.
 * Built once for a database, never a transaction (its statements would share the transaction).
 */
export type InOrder = (statements: SQL[]) => Promise<PromiseSettledResult<Row[]>[]>;

export function queryInOrder(db: Db): InOrder {
  const client = (db as unknown as { $client?: unknown }).$client;
  if (isPostgresJs(client)) {
    const dialect = new PgDialect();
    return async (statements) => {
      const connection = await client.reserve();
      try {
        return await Promise.allSettled(
          statements.map((statement) => {
            const query = dialect.sqlToQuery(statement);
            return connection.unsafe<Row[]>(query.sql, query.params as never[], { prepare: true }).execute();
          }),
        );
      } finally {
        connection.release();
      }
    };
  }
  if (client instanceof PGlite) {
    return async (statements) => {
      const settled: PromiseSettledResult<Row[]>[] = [];
      for (const statement of statements) {
        settled.push(
          await queryRows<Row>(db, statement).then(
            (value) => ({ status: "fulfilled", value }),
            (reason: unknown) => ({ status: "rejected", reason }),
          ),
        );
      }
      return settled;
    };
  }
  throw new Error("queryInOrder: a database of postgres.js or PGlite");
}
