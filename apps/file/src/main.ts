/** Runs the file service alone on its port (what compose and the end-to-end tests run). */
import { loadEnv } from "@lodge/config";
import { runService } from "@lodge/kit";
import { requestBodyCap } from "./config";
import { fileEnv } from "./env";
import { startFileService } from "./service";

const env = loadEnv(fileEnv);
await runService({
  service: "file",
  env,
  start: (logger) => startFileService({ env, logger }),
  // Uploads stream under FILE_MAX_SIZE_BYTES (checked while reading); Bun's own cap sits above it.
  maxRequestBodySize: requestBodyCap(env.FILE_MAX_SIZE_BYTES),
});
