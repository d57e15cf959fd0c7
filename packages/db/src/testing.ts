import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import postgres from "postgres";
import { createDatabase, type Database, migrationsFolder } from "./client";

/** The server tests run against: DATABASE_URL, or the local Postgres. */
export const testServerUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

function urlFor(database: string) {
  const url = new URL(testServerUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Names the migrated template after the migrations' content, so a changed migration makes a new one. */
function templateName() {
  const hash = createHash("sha256");
  for (const file of readdirSync(migrationsFolder, { recursive: true }).map(String).sort()) {
    if (file.endsWith(".sql") || file.endsWith(".json")) hash.update(file).update(readFileSync(`${migrationsFolder}/${file}`));
  }
  return `lodge_template_${hash.digest("hex").slice(0, 12)}`;
}

/**
 * A fresh, migrated database of its own for one test file (cloned from a template migrated once),
 * so test files never see each other's rows. `drop()` removes it.
 */
export async function createTestDatabase(): Promise<Database & { url: string; drop: () => Promise<void> }> {
  const admin = postgres(testServerUrl, { max: 1, onnotice: () => {} });
  const template = templateName();
  const name = `lodge_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  try {
    await admin`select pg_advisory_lock(7206554)`;
    const [exists] = await admin`select 1 from pg_database where datname = ${template}`;
    if (!exists) {
      // Built under another name and renamed when complete: a run that dies midway leaves no half-migrated template.
      const building = `${template}_building_${process.pid}`;
      await admin.unsafe(`drop database if exists "${building}"`);
      await admin.unsafe(`create database "${building}"`);
      const database = await createDatabase({ url: urlFor(building), poolSize: 1 });
      await database.migrate();
      await database.close();
      await admin.unsafe(`alter database "${building}" rename to "${template}"`);
    }
    await admin.unsafe(`create database "${name}" template "${template}"`);
  } finally {
    await admin`select pg_advisory_unlock(7206554)`;
    await admin.end();
  }
  const url = urlFor(name);
  const database = await createDatabase({ url, poolSize: 5 });
  return {
    ...database,
    url,
    drop: async () => {
      await database.close();
      const dropper = postgres(testServerUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      await dropper.end();
    },
  };
}
