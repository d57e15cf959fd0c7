export * from "./auth";
export { outboxTable } from "./columns";
