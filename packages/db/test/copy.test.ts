import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type CopyValue, copyField, copyingTransactions, copyRow, createDatabase, type Db, queryRows } from "@lodge/db";
import { createTestDatabase } from "@lodge/db/testing";
import { sql } from "drizzle-orm";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

/** Text that could end a field or a row early, read as an escape or as null, or lose its characters. */
const hostile = [
  "tab\there",
  "new\nline",
  "carriage\rreturn",
  "crlf\r\n",
  "back\\slash",
  "\\",
  "\\N",
  "\\.",
  "ends with a backslash\\",
  "\\t is not a tab",
  "",
  " ",
  "ünïcödé ✓ 日本語 😀 \u2028 \u00a0 e\u0301",
  '{"json": "in text"}',
  "'; drop table x; --",
];

describe("COPY's text format", () => {
  test("fields: null is \\N; the backslash, tab, newline and carriage return are escaped; the rest is itself", () => {
    expect(copyField(null)).toBe("\\N");
    expect(copyField("")).toBe("");
    expect(copyField("\\N")).toBe("\\\\N");
    expect(copyField("a\tb\nc\rd\\e")).toBe("a\\tb\\nc\\rd\\\\e");
    expect(copyField(1280)).toBe("1280");
    expect(copyField("😀 ünï")).toBe("😀 ünï");
    expect(copyRow(["a", null, "", 7])).toBe("a\t\\N\t\t7\n");
  });

  /** COPYs the hostile rows (in two pieces) into a temporary table in one copying transaction and reads them back. */
  const roundTrip = async (db: Db) => {
    const rows: CopyValue[][] = hostile.map((text, index) => [index, text, JSON.stringify({ [text]: text })]);
    rows.push([rows.length, null, null]);
    const stored = await copyingTransactions(db)(async ({ tx, copy }) => {
      await tx.execute(sql`create temp table copied (n int, value text, props jsonb) on commit drop`);
      // In pieces, text and bytes, as a caller holding each entry's rows hands them over.
      await copy("copied (n, value, props)", [rows.slice(0, 5).map(copyRow).join(""), Buffer.from(rows.slice(5).map(copyRow).join(""))]);
      return queryRows<{ n: number; value: string | null; props: Record<string, string> | null }>(tx, sql`select n, value, props from copied order by n`);
    });
    expect(stored).toEqual([...hostile.map((text, n) => ({ n, value: text, props: { [text]: text } })), { n: hostile.length, value: null, props: null }]);
  };

  test("hostile values, null and the empty string come back from Postgres exactly as they went in, in text and in jsonb", async () => {
    await roundTrip(database.db);
  });

  test("PGlite COPYs too (from a blob), with the same result", async () => {
    const pglite = await createDatabase({});
    try {
      await roundTrip(pglite.db);
    } finally {
      await pglite.close();
    }
  });

  test("a COPY Postgres refuses (a NUL character) rejects with its error and rolls back, and the pool goes on", async () => {
    await database.db.execute(sql`create table copy_target (value text)`);
    const refused = await copyingTransactions(database.db)(async ({ copy }) => {
      await copy("copy_target (value)", copyRow(["kept?"]));
      // The bad row is the last one: Postgres refuses it only after the data's end.
      await copy("copy_target (value)", copyRow(["fine"]) + copyRow(["nul\u0000byte"]));
    }).then(
      () => undefined,
      (error: { code?: string }) => error.code,
    );
    expect(refused).toBe("22021");
    expect(await queryRows(database.db, sql`select value from copy_target`)).toEqual([]);
  });
});
