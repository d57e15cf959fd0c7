import { createDatabase, type Database } from "@lodge/db";
import { authOutbox } from "@lodge/db/schema";
import { createEventBus, createOutbox, registerEventMetrics } from "@lodge/events";
import { registerQueueMetrics } from "@lodge/jobs";
import { connectRedis, createLogger, createMetrics, createRateLimiter, type Logger, type Redis, watchRevokedSessions } from "@lodge/kit";
import { createAuthApp } from "./app";
import { authConfigFromEnv } from "./config";
import type { AuthDeps } from "./deps";
import type { AuthEnv } from "./env";
import { subscribeToEvents } from "./events/index";
import { startMaintenance } from "./jobs/maintenance";
import { createKeyStore } from "./services/keys";

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
  const logger = options.logger ?? createLogger({ service: "auth", level: env.LOG_LEVEL });
  const database = options.database ?? (await createDatabase({ url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }));
  const redis = options.redis ?? (await connectRedis(env.REDIS_URL));
  const clock = options.clock ?? (() => new Date());
  const config = authConfigFromEnv(env);
  const metrics = createMetrics("auth");
  const bus = createEventBus({ redis, logger, prefix: env.REDIS_PREFIX });
  const outbox = createOutbox({ db: database.db, table: authOutbox, bus, logger });
  const keys = createKeyStore({ db: database.db, clock, publishDelaySeconds: config.keyPublishDelaySeconds, accessTtlSeconds: config.accessTtlSeconds });
  await keys.ensureKey();
  const lifecycle = { draining: false };

  const deps: AuthDeps = {
    db: database.db,
    redis,
    bus,
    outbox,
    keys,
    limiter: createRateLimiter({ redis, prefix: env.REDIS_PREFIX }),
    revocations: watchRevokedSessions(bus, config.accessTtlSeconds),
    logger,
    metrics,
    clock,
    config,
    checks: { postgres: database.ping, redis: () => redis.ping() },
    trustedProxies: env.TRUSTED_PROXIES,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    isDraining: () => lifecycle.draining,
  };
  outbox.start();
  const subscription = subscribeToEvents(deps);
  registerEventMetrics(metrics.registry, bus);
  const maintenance = options.maintenance === false ? undefined : await startMaintenance(deps, env.REDIS_PREFIX);
  if (maintenance) registerQueueMetrics(metrics.registry, [maintenance.queue]);

  const app = createAuthApp(deps);
  return {
    app,
    deps,
    lifecycle,
    /** Stops background work, then closes what this service opened (not what it was given). */
    close: async () => {
      await maintenance?.close();
      await subscription.stop();
      await outbox.stop();
      await deps.revocations.stop();
      await bus.close();
      keys.stop();
      if (!options.redis) redis.disconnect();
      if (!options.database) await database.close();
    },
  };
}
