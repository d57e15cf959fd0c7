import { createDatabase, type Database } from "@lodge/db";
import { userOutbox } from "@lodge/db/schema";
import { createEventBus, createOutbox, registerEventMetrics } from "@lodge/events";
import { connectRedis, createLogger, createMetrics, type Logger, type Redis, remoteKeys, watchRevokedSessions } from "@lodge/kit";
import { createUserApp } from "./app";
import { userConfigFromEnv } from "./config";
import type { UserDeps } from "./deps";
import type { UserEnv } from "./env";
import { subscribeToEvents } from "./events/index";
import { createServiceClient } from "./service-client";

export type UserServiceOptions = {
  env: UserEnv;
  /** Shared with other services in the dev server; otherwise opened from DATABASE_URL. */
  database?: Database;
  redis?: Redis;
  logger?: Logger;
  clock?: () => Date;
};

/** Builds every dependency once, starts the event consumers and the outbox relay, and returns the app and a close(). */
export async function startUserService(options: UserServiceOptions) {
  const { env } = options;
  const logger = options.logger ?? createLogger({ service: "user", level: env.LOG_LEVEL });
  const database = options.database ?? (await createDatabase({ url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }));
  const redis = options.redis ?? (await connectRedis(env.REDIS_URL));
  const clock = options.clock ?? (() => new Date());
  const config = userConfigFromEnv(env);
  const metrics = createMetrics("user");
  const bus = createEventBus({ redis, logger, prefix: env.REDIS_PREFIX });
  const outbox = createOutbox({ db: database.db, table: userOutbox, bus, logger });
  const lifecycle = { draining: false };

  const deps: UserDeps = {
    db: database.db,
    redis,
    bus,
    outbox,
    keys: remoteKeys(env.JWKS_URL),
    revocations: watchRevokedSessions(bus),
    remote: createServiceClient({
      urls: { auth: config.authUrl, file: config.fileUrl },
      client: config.client,
      timeoutMs: config.remoteTimeoutMs,
      logger,
    }),
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

  const app = createUserApp(deps);
  return {
    app,
    deps,
    lifecycle,
    /** Stops background work, then closes what this service opened (not what it was given). */
    close: async () => {
      await subscription.stop();
      await outbox.stop();
      await deps.revocations.stop();
      await bus.close();
      if (!options.redis) redis.disconnect();
      if (!options.database) await database.close();
    },
  };
}
