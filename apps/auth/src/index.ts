export { authEnv } from "./env";
export { authService, startAuthService } from "./service";
