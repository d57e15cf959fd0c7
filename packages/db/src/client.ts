import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
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

export const migrationsFolder = new URL("../migrations", import.meta.url).pathname;

/** Postgres when `url` is set (production, tests); otherwise an embedded PGlite under `dataDir` (development). */
export async function createDatabase(options: { url?: string; poolSize?: number; dataDir?: string }): Promise<Database> {
  if (options.url) {
    const client = postgres(options.url, { max: options.poolSize ?? 10, onnotice: () => {}, connect_timeout: 5 });
    const db = drizzlePostgres(client, { schema });
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
