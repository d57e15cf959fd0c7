/** Runs the auth service alone on its port (what compose and the end-to-end tests run). */
import { loadEnv } from "@lodge/config";
import { createLogger, serve } from "@lodge/kit";
import { authEnv } from "./env";
import { startAuthService } from "./service";

const env = loadEnv(authEnv);
const logger = createLogger({ service: "auth", level: env.LOG_LEVEL });
const service = await startAuthService({ env, logger });
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
