import type { Database } from "@lodge/db";
import { authOutbox } from "@lodge/db/schema";
import { registerQueueMetrics } from "@lodge/jobs";
import { type Logger, openFoundation, type Redis } from "@lodge/kit";
import { createAuthApp } from "./app";
import { authConfigFromEnv } from "./config";
import type { AuthDeps } from "./deps";
import type { AuthEnv } from "./env";
import { subscribeToEvents } from "./events/index";
import { createKeyStore } from "./helpers/keys";
import { createSealer } from "./helpers/sealing";
import { hashPassword, newSecret } from "./helpers/secrets";
import { startMaintenanceWorker } from "./jobs/maintenance";
import { createPasswordResetQueue, startPasswordResetWorker } from "./jobs/password-reset";
import { createReads } from "./reads";

export type AuthServiceOptions = {
  env: AuthEnv;
  /** Shared with other services in the dev server; otherwise opened from DATABASE_URL. */
  database?: Database;
  redis?: Redis;
  logger?: Logger;
  clock?: () => Date;
  /** Run the hourly maintenance worker (off in tests that do not need it). */
  maintenance?: boolean;
};

/** Builds every dependency once, starts the background parts, and returns the app and a close(). */
export async function startAuthService(options: AuthServiceOptions) {
  const { env } = options;
  const config = authConfigFromEnv(env);
  const base = await openFoundation({ ...options, service: "auth", outboxTable: authOutbox, accessTtlSeconds: config.accessTtlSeconds });
  const sealer = createSealer(config.keyEncryptionSecret);
  const keys = createKeyStore({
    db: base.db,
    clock: base.clock,
    publishDelaySeconds: config.keyPublishDelaySeconds,
    accessTtlSeconds: config.accessTtlSeconds,
    sealer,
  });
  await keys.ensureKey();

  const deps: AuthDeps = {
    ...base,
    keys,
    sealer,
    config,
    reads: createReads(base),
    dummyPasswordHash: await hashPassword(newSecret()),
    passwordResets: createPasswordResetQueue({ redis: base.redis, prefix: env.REDIS_PREFIX, logger: base.logger, registry: base.metrics.registry }),
  };
  const subscription = subscribeToEvents(deps);
  const passwordResetWorker = startPasswordResetWorker(deps, env.REDIS_PREFIX);
  const maintenance = options.maintenance === false ? undefined : await startMaintenanceWorker(deps, env.REDIS_PREFIX);
  registerQueueMetrics(base.metrics.registry, [deps.passwordResets, ...(maintenance ? [maintenance.queue] : [])]);

  const app = createAuthApp(deps);
  return {
    app,
    deps,
    lifecycle: base.lifecycle,
    /** Stops background work, then closes what this service opened (not what it was given). */
    close: async () => {
      await maintenance?.close();
      await passwordResetWorker.close();
      await deps.passwordResets.close();
      await subscription.stop();
      keys.stop();
      await base.close();
    },
  };
}
