export * from "./ai";
export * from "./analytics";
export * from "./auth";
export * from "./bot";
export { erasedUserKey, outboxTable } from "./columns";
export * from "./file";
export * from "./notification";
export * from "./user";
