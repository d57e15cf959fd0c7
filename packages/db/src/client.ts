import { PGlite } from "@electric-sql/pglite";
import { type SQL, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema/index";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Database = { db: Db; kind: "postgres" | "pglite"; ping: () => Promise<void>; migrate: () => Promise<void>; close: () => Promise<void> };

/**
 * Runs a hand-written statement and returns its rows, the same on both drivers (postgres.js gives
 * an array, PGlite an object with `rows`), on a database or in a transaction. Values come as the driver
 * parses them: timestamps as strings.
 */
export async function queryRows<T extends Record<string, unknown>>(db: Pick<Db, "execute">, statement: SQL): Promise<T[]> {
  const result = (await db.execute(statement)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

export const migrationsFolder = new URL("../migrations", import.meta.url).pathname;

/**
 * drizzle's postgres-js driver sends every query it did not name with `prepare: false`, so for each
 * parameterized query postgres.js waits a round trip to describe it before binding it, and Postgres
 * parses and plans it again every time. This hands drizzle the same client with `prepare: true`
 * forced, in transactions and savepoints too: postgres.js then prepares each distinct statement
 * once per connection and afterwards sends bind + execute in one round trip. Results are unchanged.
 */
function preparing<T extends postgres.Sql>(sql: T): T {
  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property === "unsafe") {
        return (query: string, parameters?: postgres.ParameterOrJSON<never>[], queryOptions?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, parameters, { ...queryOptions, prepare: true });
      }
      if (property === "begin" || property === "savepoint") {
        const scoped = Reflect.get(target, property, receiver) as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => {
          const callback = args.pop() as (inner: postgres.Sql) => unknown;
          return scoped(...args, (inner: postgres.Sql) => callback(preparing(inner)));
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

/** Postgres when `url` is set (production, tests); otherwise an embedded PGlite under `dataDir` (development). */
export async function createDatabase(options: { url?: string; poolSize?: number; dataDir?: string }): Promise<Database> {
  if (options.url) {
    const client = postgres(options.url, { max: options.poolSize ?? 10, onnotice: () => {}, connect_timeout: 5 });
    const db = drizzlePostgres(preparing(client), { schema });
    return {
      db: db as unknown as Db,
      kind: "postgres",
      ping: async () => void (await client`select 1`),
      // An advisory lock makes concurrent migrators (several instances booting) take turns.
      migrate: async () => {
        const single = postgres(options.url as string, { max: 1, onnotice: () => {} });
        try {
          await single`select pg_advisory_lock(7206553)`;
          await migratePostgres(drizzlePostgres(single), { migrationsFolder });
        } finally {
          await single.end();
        }
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  const client = await PGlite.create(options.dataDir ?? "memory://");
  const db = drizzlePglite(client, { schema });
  return {
    db: db as unknown as Db,
    kind: "pglite",
    ping: async () => void (await db.execute(sql`select 1`)),
    migrate: () => migratePglite(db, { migrationsFolder }),
    close: () => client.close(),
  };
}
