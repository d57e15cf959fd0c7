export { fileEnv } from "./env";
export { fileService, startFileService } from "./service";
