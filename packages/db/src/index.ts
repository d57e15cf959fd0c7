export { createDatabase, type Database, type Db, migrationsFolder, type Schema, type Tx } from "./client";
