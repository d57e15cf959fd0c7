export { createUserApp } from "./app";
export { userEnv } from "./env";
export { startUserService } from "./service";
