export { createDatabase, type Database, type Db, migrationsFolder, queryRows, type Schema, type Tx } from "./client";
