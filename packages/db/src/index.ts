export { createDatabase, type Database, type Db, migrationsFolder, queryRows, type Schema, type Tx } from "./client";
export { type CopyData, type CopyingTransaction, type CopyingTransactions, type CopyValue, copyField, copyingTransactions, copyRow } from "./copy";
export { type InOrder, queryInOrder } from "./in-order";
