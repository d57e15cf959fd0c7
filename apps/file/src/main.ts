/** Runs the file service alone on its port (what compose and the end-to-end tests run). */
import { loadEnv } from "@lodge/config";
import { createLogger, serve } from "@lodge/kit";
import { requestBodyCap } from "./config";
import { fileEnv } from "./env";
import { startFileService } from "./service";

const env = loadEnv(fileEnv);
const logger = createLogger({ service: "file", level: env.LOG_LEVEL });
const service = await startFileService({ env, logger });
serve({
  fetch: service.app.fetch,
  port: env.PORT,
  hostname: env.HOST,
  logger,
  drainDelayMs: env.NODE_ENV === "production" ? 2000 : 0,
  onDrain: () => {
    service.lifecycle.draining = true;
  },
  close: service.close,
  // Uploads stream under FILE_MAX_SIZE_BYTES (checked while reading); Bun's own cap sits above it.
  maxRequestBodySize: requestBodyCap(env.FILE_MAX_SIZE_BYTES),
});
