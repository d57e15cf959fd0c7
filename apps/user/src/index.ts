export { userEnv } from "./env";
export { startUserService, userService } from "./service";
