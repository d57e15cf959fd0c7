import { afterAll, beforeAll, expect, test } from "bun:test";
import { createDatabase, type Db, queryInOrder } from "@lodge/db";
import { createTestDatabase } from "@lodge/db/testing";
import { sql } from "drizzle-orm";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.execute(createTable);
});
afterAll(() => database.drop());

const createTable = sql`create table in_order (n int)`;

/** Three statements, the middle one failing: the first's write is seen by the third, on one connection, in transactions of their own. */
async function runInOrder(db: Db) {
  const mine = Math.floor(Math.random() * 2 ** 31);
  const whereAndWhen = sql`select pg_backend_pid() as pid, pg_current_xact_id()::text as xact, (select count(*)::int from in_order where n = ${mine}) as rows`;
  const [first, failed, last] = await queryInOrder(db)([
    sql`insert into in_order values (${mine}) returning n, pg_backend_pid() as pid, pg_current_xact_id()::text as xact`,
    sql`select 1 / ${0}::int as never`,
    whereAndWhen,
  ]);
  if (first?.status !== "fulfilled") throw new Error("the insert failed");
  expect(first.value[0]?.n).toBe(mine);
  // drizzle wraps PGlite's error (its cause), postgres.js's comes as it is.
  const reason = failed?.status === "rejected" ? (failed.reason as Error & { cause?: Error }) : undefined;
  expect((reason?.cause ?? reason)?.message).toContain("division by zero");
  if (last?.status !== "fulfilled") throw new Error("the statement after a failed one did not run");
  expect(last.value[0]?.rows).toBe(1);
  return { pids: [first.value[0]?.pid, last.value[0]?.pid], xacts: [first.value[0]?.xact, last.value[0]?.xact] };
}

/** One connection, and a transaction of its own for each statement. */
const expectOneConnectionAndTwoTransactions = ({ pids, xacts }: Awaited<ReturnType<typeof runInOrder>>) => {
  expect(pids[0]).toBe(pids[1] as number);
  expect(xacts[0]).not.toBe(xacts[1]);
};

test("statements in order on one connection: each sees the ones before committed, a failure fails only itself", async () => {
  // Several at once, so the pool's connections are busy beside each other: each run keeps its own.
  const runs = await Promise.all(Array.from({ length: 4 }, () => runInOrder(database.db)));
  for (const run of runs) expectOneConnectionAndTwoTransactions(run);
  const [{ rows }] = (await database.db.execute(sql`select count(*)::int as rows from in_order`)) as unknown as [{ rows: number }];
  expect(rows).toBe(4);
});

test("PGlite runs them one after another, with the same results", async () => {
  const pglite = await createDatabase({});
  try {
    await pglite.db.execute(createTable);
    expectOneConnectionAndTwoTransactions(await runInOrder(pglite.db));
  } finally {
    await pglite.close();
  }
});
