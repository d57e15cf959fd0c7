import { parseEnv } from "@lodge/config";
import { createLogger } from "@lodge/kit";
import { notificationEnv } from "../src/env";
import { startNotificationService } from "../src/service";

/**
 * The notification service as a separate process (its delivery workers running), for a test to
 * kill mid-send. Its env comes from the test; TEST_PUSH_CA is the local push service's certificate.
 */
const ca = process.env.TEST_PUSH_CA ?? "";
const service = await startNotificationService({
  env: parseEnv(notificationEnv, process.env),
  fetch: ((input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, tls: { ca } } as RequestInit)) as typeof fetch,
  logger: createLogger({ service: "notification", level: "silent" }),
});
process.on("SIGTERM", () => {
  service.close().then(() => process.exit(0));
});
console.log("ready");
