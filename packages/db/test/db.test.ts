import { afterAll, describe, expect, test } from "bun:test";
import { createDatabase, migrationsFolder } from "@lodge/db";
import { users } from "@lodge/db/schema";
import { createTestDatabase, testServerUrl } from "@lodge/db/testing";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";

const journal = (await Bun.file(`${migrationsFolder}/meta/_journal.json`).json()) as { entries: unknown[] };
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** An empty database (not migrated) of its own on the test server. */
async function emptyDatabase() {
  const name = `lodge_test_empty_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(testServerUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(testServerUrl);
  url.pathname = `/${name}`;
  cleanups.push(async () => {
    const dropper = postgres(testServerUrl, { max: 1, onnotice: () => {} });
    await dropper.unsafe(`drop database if exists "${name}" with (force)`);
    await dropper.end();
  });
  return url.toString();
}

async function appliedMigrations(url: string): Promise<number> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await client`select count(*)::int as count from drizzle.__drizzle_migrations`;
    return row?.count as number;
  } finally {
    await client.end();
  }
}

const newUser = (email: string) => ({ email, passwordHash: "not-a-real-hash" });

describe("createTestDatabase", () => {
  test("gives each caller a fresh, migrated, isolated database", async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    cleanups.push(
      () => a.drop(),
      () => b.drop(),
    );
    expect(a.url).not.toBe(b.url);
    expect(a.kind).toBe("postgres");
    await a.ping();
    await a.db.insert(users).values(newUser("only-in-a@example.com"));
    expect(await a.db.select({ email: users.email }).from(users)).toEqual([{ email: "only-in-a@example.com" }]);
    expect(await b.db.select().from(users)).toEqual([]);
    expect(await appliedMigrations(a.url)).toBe(journal.entries.length);
  });

  test("drop removes the database", async () => {
    const database = await createTestDatabase();
    const name = new URL(database.url).pathname.slice(1);
    await database.drop();
    const admin = postgres(testServerUrl, { max: 1, onnotice: () => {} });
    const rows = await admin`select 1 from pg_database where datname = ${name}`;
    await admin.end();
    expect(rows).toHaveLength(0);
  });
});

describe("migrate", () => {
  test("is idempotent", async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    await database.db.insert(users).values(newUser("kept@example.com"));
    await database.migrate();
    await database.migrate();
    expect(await appliedMigrations(database.url)).toBe(journal.entries.length);
    expect(await database.db.select({ email: users.email }).from(users)).toEqual([{ email: "kept@example.com" }]);
  });

  test("two instances migrating a fresh database at once both succeed", async () => {
    const url = await emptyDatabase();
    const instances = await Promise.all([createDatabase({ url, poolSize: 1 }), createDatabase({ url, poolSize: 1 }), createDatabase({ url, poolSize: 1 })]);
    cleanups.push(() => Promise.all(instances.map((instance) => instance.close())));
    await Promise.all(instances.map((instance) => instance.migrate()));
    expect(await appliedMigrations(url)).toBe(journal.entries.length);
    const [first] = instances;
    await first?.db.insert(users).values(newUser("after-migrate@example.com"));
    expect(await first?.db.select({ email: users.email }).from(users)).toEqual([{ email: "after-migrate@example.com" }]);
  });

  test("an unreachable server fails with a connection error", async () => {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = listener.port;
    listener.stop(true);
    const database = await createDatabase({ url: `postgres://postgres@127.0.0.1:${port}/nothing`, poolSize: 1 });
    await expect(database.ping()).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await expect(database.migrate()).rejects.toThrow();
    await database.close();
  });
});

describe("PGlite (no url)", () => {
  test("an in-memory database migrates and stores users", async () => {
    const database = await createDatabase({});
    cleanups.push(() => database.close());
    expect(database.kind).toBe("pglite");
    await database.migrate();
    await database.migrate();
    await database.ping();

    const [created] = await database.db.insert(users).values({ email: "ada@example.com", passwordHash: "hash", name: "Ada" }).returning();
    expect(created?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(created?.role).toBe("user");
    expect(created?.createdAt).toBeInstanceOf(Date);
    const [found] = await database.db.select().from(users).where(eq(users.email, "ada@example.com"));
    expect(found).toEqual(created);
    // The unique index from the migration is there too.
    const duplicate = await database.db
      .insert(users)
      .values({ email: "ada@example.com", passwordHash: "other" })
      .then(
        () => "inserted",
        () => "rejected",
      );
    expect(duplicate).toBe("rejected");
    const result = await database.db.execute(sql`select count(*)::int as count from auth.users`);
    expect(JSON.stringify(result)).toContain('"count":1');
  });
});
