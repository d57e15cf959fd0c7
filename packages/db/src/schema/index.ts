export * from "./auth";
export { outboxTable } from "./columns";
export * from "./file";
export * from "./user";
