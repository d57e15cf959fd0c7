import { createDatabase, type Database } from "@lodge/db";
import { createEventBus, createOutbox, registerEventMetrics } from "@lodge/events";
import type { Redis } from "ioredis";
import { ACCESS_TOKEN_TTL_SECONDS } from "./auth";
import { createLogger, type Logger } from "./logger";
import { createMetrics, Gauge } from "./metrics";
import { createRateLimiter } from "./rate-limit";
import { connectRedis } from "./redis";
import { watchRevokedSessions } from "./revocations";
import { serve } from "./serve";

type OutboxTable = Parameters<typeof createOutbox>[0]["table"];
type FoundationEnv = {
  LOG_LEVEL: string;
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
  REDIS_URL: string;
  REDIS_PREFIX: string;
  REDIS_COMMAND_TIMEOUT_MS?: number;
  REVOCATION_MAX_LAG_MS?: number;
  TRUSTED_PROXIES: string[];
  RATE_LIMIT_IPV6_PREFIX: number;
  BODY_LIMIT_BYTES: number;
};

export type FoundationOptions = {
  service: string;
  env: FoundationEnv;
  /** The service's own outbox table (`authOutbox`, `userOutbox`, ...). */
  outboxTable: OutboxTable;
  /** Shared with other services in the dev server; otherwise opened from DATABASE_URL. */
  database?: Database;
  redis?: Redis;
  logger?: Logger;
  clock?: () => Date;
  accessTtlSeconds?: number;
};

export type Foundation = Awaited<ReturnType<typeof openFoundation>>;

/** The foundation's parts that every service's deps carry (a service's Deps type adds its own). */
export type ServiceBase = Pick<
  Foundation,
  | "db"
  | "redis"
  | "bus"
  | "outbox"
  | "revocations"
  | "logger"
  | "metrics"
  | "clock"
  | "checks"
  | "isDraining"
  | "trustedProxies"
  | "bodyLimitBytes"
  | "limiter"
  | "redisPrefix"
>;

/**
 * What every service builds first, once, at boot: logger, database, Redis, metrics, the event bus
 * with its outbox relay (started), the revoked-session list and the draining flag. Its fields are
 * named as the services' deps name them, so a service's deps are `{ ...foundation, ...its own }`. `close()`
 * stops the background parts and closes what this call opened (not what it was given).
 */
export async function openFoundation(options: FoundationOptions) {
  const { env, service } = options;
  const logger = options.logger ?? createLogger({ service, level: env.LOG_LEVEL });
  const database = options.database ?? (await createDatabase({ url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }));
  const redis = options.redis ?? (await connectRedis(env.REDIS_URL, { commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS }));
  const metrics = createMetrics(service);
  // The bus's retry backoff runs on the service's clock, so tests move it rather than sleep.
  const bus = createEventBus({ redis, logger, prefix: env.REDIS_PREFIX, clock: options.clock });
  const outbox = createOutbox({ db: database.db, table: options.outboxTable, bus, logger });
  const clock = options.clock ?? (() => new Date());
  const revocations = watchRevokedSessions({
    bus,
    redis,
    logger,
    ttlSeconds: options.accessTtlSeconds ?? ACCESS_TOKEN_TTL_SECONDS,
    maxLagMs: env.REVOCATION_MAX_LAG_MS,
    clock,
  });
  // Serve once the revocations already in the stream are loaded (a fresh instance knows them all);
  // past the wait, user tokens get 503 until they are.
  let waited: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([revocations.ready, new Promise((resolve) => (waited = setTimeout(resolve, 10_000)))]);
  clearTimeout(waited);
  const lifecycle = { draining: false };
  outbox.start();
  registerEventMetrics(metrics.registry, bus);
  new Gauge({
    name: "revocation_watch_caught_up",
    help: "1 while the revoked-session list is complete; 0 while its watch is behind (user tokens then get 503, or a session lookup in auth)",
    registers: [metrics.registry],
    collect() {
      this.set(revocations.caughtUp() ? 1 : 0);
    },
  });
  return {
    logger,
    database,
    db: database.db,
    redis,
    redisPrefix: env.REDIS_PREFIX,
    clock,
    metrics,
    bus,
    outbox,
    revocations,
    lifecycle,
    checks: { postgres: database.ping, redis: () => redis.ping() } as Record<string, () => Promise<unknown>>,
    trustedProxies: env.TRUSTED_PROXIES,
    /** Every service's rate limits, one instance so every per-IP key counts IPv6 clients by the same network. */
    limiter: createRateLimiter({ redis, prefix: env.REDIS_PREFIX, ipv6PrefixLength: env.RATE_LIMIT_IPV6_PREFIX }),
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    isDraining: () => lifecycle.draining,
    close: async () => {
      await outbox.stop();
      await revocations.stop();
      await bus.close();
      if (!options.redis) redis.disconnect();
      if (!options.database) await database.close();
    },
  };
}

type Runnable = {
  app: { fetch: Parameters<typeof serve>[0]["fetch"] };
  lifecycle: { draining: boolean };
  close: () => Promise<void>;
};

/**
 * A service's main.ts: start it, serve it on its port, and on SIGTERM/SIGINT report not-ready
 * (for 3 s in production, so the proxy's health check sees it), drain in-flight requests, close.
 */
export async function runService(options: {
  service: string;
  env: { LOG_LEVEL: string; PORT: number; HOST: string; NODE_ENV: string };
  start: (logger: Logger) => Promise<Runnable>;
  maxRequestBodySize?: number;
}) {
  const { env } = options;
  const logger = createLogger({ service: options.service, level: env.LOG_LEVEL });
  const running = await options.start(logger);
  serve({
    fetch: running.app.fetch,
    port: env.PORT,
    hostname: env.HOST,
    logger,
    // The Caddyfile's health_interval (1s) + health_timeout (2s): a check Caddy begins after
    // SIGTERM has failed there before we stop accepting, so it sends us nothing after that.
    drainDelayMs: env.NODE_ENV === "production" ? 3000 : 0,
    onDrain: () => {
      running.lifecycle.draining = true;
    },
    close: running.close,
    maxRequestBodySize: options.maxRequestBodySize,
  });
}
