export { authEnv } from "./env";
export { authService, startAuthService } from "./service";
export { createAdmin } from "./services/create-admin";
