/** Runs the user service alone on its port (what compose and the end-to-end tests run). */
import { loadEnv } from "@lodge/config";
import { createLogger, serve } from "@lodge/kit";
import { userEnv } from "./env";
import { startUserService } from "./service";

const env = loadEnv(userEnv);
const logger = createLogger({ service: "user", level: env.LOG_LEVEL });
const service = await startUserService({ env, logger });
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
});
