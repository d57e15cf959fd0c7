/** `bun run migrate`: applies committed migrations to DATABASE_URL (the compose `migrate` service runs this). */
import { createDatabase } from "./client";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is required");
  process.exit(1);
}
const database = await createDatabase({ url, poolSize: 1 });
await database.migrate();
await database.close();
console.log("migrations applied");
