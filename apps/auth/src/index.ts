export { createAuthApp } from "./app";
export { authEnv } from "./env";
export { startAuthService } from "./service";
