export { createFileApp } from "./app";
export { fileEnv } from "./env";
export { startFileService } from "./service";
