import type { OpenAPIHono } from "@hono/zod-openapi";
import { connectRedis, createLogger, type Logger, type Redis } from "@lodge/base";
import { loadEnv, type z } from "@lodge/config";
import { createDatabase, type Database } from "@lodge/db";
import { createEventBus, createOutbox, type Envelope, type EventBus, type EventType, type Outbox, type OutboxTable, registerEventMetrics } from "@lodge/events";
import { createWorker, type Job, type JobsConnection, type Queue, registerQueueMetrics } from "@lodge/jobs";
import { type CorsHeaders, createServiceApp, type Dialect, type OpenApiInfo, type RawBodyRule } from "./app";
import { ACCESS_TOKEN_TTL_SECONDS, type AuthGuardOptions, createGuard, type Guard, remoteKeys } from "./auth";
import type { Ctx } from "./context";
import type { Check } from "./health";
import { createMetrics, Gauge, type Metrics } from "./metrics";
import { createRateLimiter, type RateLimiter } from "./rate-limit";
import { type RevocationList, watchRevokedSessions } from "./revocations";
import { serve } from "./serve";
import type { AppEnv } from "./types";
import { type WebSocketSettings, webSocketHandler } from "./websocket";

/** The variables every service reads (@lodge/config's serviceEnv gives them). */
export type ServiceEnv = {
  NODE_ENV: string;
  HOST: string;
  PORT: number;
  LOG_LEVEL: string;
  CORS_ORIGINS: string[];
  TRUSTED_PROXIES: string[];
  RATE_LIMIT_IPV6_PREFIX: number;
  BODY_LIMIT_BYTES: number;
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
  REDIS_URL: string;
  REDIS_PREFIX: string;
  REDIS_COMMAND_TIMEOUT_MS?: number;
  REVOCATION_MAX_LAG_MS?: number;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  JWKS_URL: string;
};

/** How a service is started: its parsed env, and what a caller shares with it (the dev server's database and Redis, a test's clock). */
export type StartOptions<Env> = {
  env: Env;
  /** Shared with other services in the dev server; otherwise opened from DATABASE_URL. */
  database?: Database;
  redis?: Redis;
  logger?: Logger;
  clock?: () => Date;
};

/** What the starter builds for every service; a service's deps are these plus its own (`build`). */
export type ServiceBase = {
  db: Database["db"];
  redis: Redis;
  /** Namespace of this deployment's Redis keys (REDIS_PREFIX). */
  redisPrefix: string;
  clock: () => Date;
  logger: Logger;
  metrics: Metrics;
  bus: EventBus;
  /** Every rate limit of the service, one instance so every per-IP key counts IPv6 clients by the same network. */
  limiter: RateLimiter;
  /** Where the service's BullMQ queues and workers connect (under its Redis prefix) and report. */
  jobsConnection: JobsConnection;
  /** The service's one guard (built once: every route shares its verified-token cache). */
  guard: Guard;
  /** The revoked-session list the guard checks (with `tokens`): `onRevoked` closes what a revoked session holds open. */
  revocations?: RevocationList;
};

/** How a service's app treats requests beyond the kit's defaults (see createApp). */
export type HttpOptions = { rawBody?: RawBodyRule; cors?: CorsHeaders; dialect?: Dialect };

/** The part of a service's deps its `outbox` option adds. */
export type WithOutbox = { outbox: Outbox };

/** A BullMQ worker the service runs: its processor gets the job and a Ctx whose logger names the job. */
export type JobDefinition<Deps, Data = unknown> = {
  // biome-ignore lint/suspicious/noExplicitAny: a queue of any job data
  queue: Queue<any>;
  process: (job: Job<Data>, ctx: Ctx<Deps>) => Promise<unknown>;
  /** Repeating runs (one scheduler each, shared by every instance): job name → every how many ms. */
  every?: Record<string, number>;
  concurrency?: number;
  /**
   * How long a job whose worker died (killed mid-run) stays taken before another worker runs it
   * again: BullMQ's lock duration and stalled-job check interval (BullMQ's default: 30 s).
   */
  stalledAfterMs?: number;
};

// biome-ignore lint/suspicious/noExplicitAny: a service runs jobs of several data types
type AnyJob<Deps> = JobDefinition<Deps, any>;

/** An event handler of the service's consumer group: the event and a Ctx carrying its request id and the bus's child logger. */
export type Consumers<Deps> = { [T in EventType]?: (event: Envelope<T>, ctx: Ctx<Deps>) => Promise<void> | void };

/** How bearer tokens are verified: against auth's JWKS (JWKS_URL), or (auth itself) against local keys with a session lookup. */
export type TokenVerification<Deps> = "jwks" | ((deps: Deps) => TokenKeys);
/** The keys tokens are verified against; `confirmSession` where sessions are local (see AuthGuardOptions). */
type TokenKeys = { keys: AuthGuardOptions["keys"]; confirmSession?: AuthGuardOptions["confirmSession"] };

/**
 * A service: its name and env schema, the deps it builds on the base, its routes, the events it
 * consumes (as the consumer group named after it) and the jobs it runs. `Deps` is the service's
 * deps type (`ServiceBase & { its own }`, plus `WithOutbox` when `outbox` is set); `Extra` the
 * start options it takes beyond `StartOptions` (a test's storage, workers off).
 */
export type ServiceDefinition<Env extends ServiceEnv, Deps extends ServiceBase, Extra = object> = {
  name: string;
  env: z.ZodType<Env>;
  /** Its OpenAPI document, served at `<prefix>/openapi.json`. */
  openApi: OpenApiInfo;
  /** The service's outbox table (`authOutbox`, ...): events written in a transaction, then published (adds `deps.outbox`). */
  outbox?: OutboxTable;
  /** Verification of bearer tokens for `deps.guard`, and the revoked-session watch that feeds it; without it the service has neither. */
  tokens?: TokenVerification<Deps>;
  /** The service's own deps, built once at boot on the base. */
  build: (base: ServiceBase & Partial<WithOutbox>, options: StartOptions<Env> & Extra) => Promise<Omit<Deps, keyof ServiceBase | "outbox">>;
  /** Set when routes upgrade to WebSockets (with the kit's `upgradeWebSocket`): Bun's server-wide settings for them. */
  websocket?: (env: Env) => WebSocketSettings;
  /** Its route groups, mounted in this order. */
  routes: (deps: Deps) => OpenAPIHono<AppEnv>[];
  consumers?: Consumers<Deps>;
  jobs?: (deps: Deps, options: StartOptions<Env> & Extra) => Promise<AnyJob<Deps>[]> | AnyJob<Deps>[];
  /** More dependencies /ready checks, beyond Postgres and Redis. */
  ready?: (deps: Deps) => Record<string, Check>;
  /** Streamed request bodies, CORS headers beyond the kit's, and a part speaking another API's dialect (see createApp); from the env when they depend on it. */
  http?: HttpOptions | ((env: Env) => HttpOptions);
  /** Bun's own cap on a request body, above what the routes limit themselves (uploads). */
  maxRequestBodySize?: (env: Env) => number;
  /** Closes what `build` opened, after the consumers and workers have stopped. */
  close?: (deps: Deps) => Promise<void> | void;
};

/** Declares a service (a typed identity: `startService` and `runMain` take what it returns). */
export function defineService<Env extends ServiceEnv, Deps extends ServiceBase, Extra = object>(definition: ServiceDefinition<Env, Deps, Extra>) {
  return definition;
}

/**
 * Builds a service once: logger, Postgres, Redis, metrics, the bus (and the outbox relay when it
 * has one), the revoked-session watch, its guard and deps, its consumers and workers, and its app
 * with /health, /ready, /metrics and its OpenAPI document. `close()` stops the background parts
 * and closes what this call opened (not what it was given).
 */
export async function startService<Env extends ServiceEnv, Deps extends ServiceBase, Extra>(
  definition: ServiceDefinition<Env, Deps, Extra>,
  options: StartOptions<Env> & Extra,
) {
  const { env } = options;
  const { name } = definition;
  const logger = options.logger ?? createLogger({ service: name, level: env.LOG_LEVEL });
  const database = options.database ?? (await createDatabase({ url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }));
  const redis = options.redis ?? (await connectRedis(env.REDIS_URL, { commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS }));
  const clock = options.clock ?? (() => new Date());
  const metrics = createMetrics(name);
  // The bus's retry backoff runs on the service's clock, so tests move it rather than sleep.
  const bus = createEventBus({ redis, logger, prefix: env.REDIS_PREFIX, clock: options.clock });
  registerEventMetrics(metrics.registry, bus);
  const outbox = definition.outbox ? createOutbox({ db: database.db, table: definition.outbox, bus, logger }) : undefined;
  const revocations = definition.tokens ? await watchRevocations({ bus, redis, logger, clock, metrics, maxLagMs: env.REVOCATION_MAX_LAG_MS }) : undefined;
  outbox?.start();

  const base = {
    db: database.db,
    redis,
    redisPrefix: env.REDIS_PREFIX,
    clock,
    logger,
    metrics,
    bus,
    limiter: createRateLimiter({ redis, prefix: env.REDIS_PREFIX, ipv6PrefixLength: env.RATE_LIMIT_IPV6_PREFIX }),
    jobsConnection: { redis, prefix: env.REDIS_PREFIX, logger, registry: metrics.registry },
    // Replaced below, once the deps the guard may need (auth's session lookup) exist.
    guard: noGuard(name),
    ...(revocations ? { revocations } : {}),
    ...(outbox ? { outbox } : {}),
  };
  // The definition's Deps names its outbox when it set `outbox`, and `build` gives the rest.
  const deps = { ...base, ...(await definition.build(base, options)) } as unknown as Deps;
  if (definition.tokens) {
    const verification: TokenKeys = definition.tokens === "jwks" ? { keys: remoteKeys(env.JWKS_URL) } : definition.tokens(deps);
    deps.guard = createGuard({ ...verification, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, revocations, clock });
  }

  const subscription = definition.consumers ? bus.subscribe({ group: name, handlers: consumerHandlers(definition.consumers, deps) }) : undefined;
  const jobs = (await definition.jobs?.(deps, options)) ?? [];
  const workers = await Promise.all(jobs.map((job) => startJob(job, deps)));
  const queues = jobs.map((job) => job.queue);
  if (queues.length > 0) registerQueueMetrics(metrics.registry, queues);

  const lifecycle = { draining: false };
  /** The service's app over `deps`: its own, or (a test) the same deps with one part swapped. */
  const appFor = (deps: Deps) => {
    const app = createServiceApp({
      service: name,
      logger,
      metrics,
      corsOrigins: env.CORS_ORIGINS,
      trustedProxies: env.TRUSTED_PROXIES,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      checks: { postgres: database.ping, redis: () => redis.ping(), ...definition.ready?.(deps) },
      isDraining: () => lifecycle.draining,
      openApi: definition.openApi,
      ...(typeof definition.http === "function" ? definition.http(env) : definition.http),
    });
    for (const router of definition.routes(deps)) app.route("/", router);
    return app;
  };

  return {
    app: appFor(deps),
    appFor,
    deps,
    /** What Bun.serve needs beside `fetch` for the service's WebSocket routes (undefined without any). */
    websocket: definition.websocket ? webSocketHandler(definition.websocket(env)) : undefined,
    lifecycle,
    close: async () => {
      await subscription?.stop();
      for (const worker of workers) await worker.close();
      for (const queue of queues) await queue.close();
      await definition.close?.(deps);
      await outbox?.stop();
      await revocations?.stop();
      await bus.close();
      if (!options.redis) redis.disconnect();
      if (!options.database) await database.close();
    },
  };
}

/**
 * Every instance keeps the sessions revoked within an access token's lifetime (see
 * watchRevokedSessions). It serves once the revocations already in the stream are loaded (a fresh
 * instance knows them all); past the wait, user tokens get 503 until they are.
 */
async function watchRevocations(options: { bus: EventBus; redis: Redis; logger: Logger; clock: () => Date; metrics: Metrics; maxLagMs?: number }) {
  const revocations = watchRevokedSessions({ ...options, ttlSeconds: ACCESS_TOKEN_TTL_SECONDS });
  let waited: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([revocations.ready, new Promise((resolve) => (waited = setTimeout(resolve, 10_000)))]);
  clearTimeout(waited);
  new Gauge({
    name: "revocation_watch_caught_up",
    help: "1 while the revoked-session list is complete; 0 while its watch is behind (user tokens then get 503, or a session lookup in auth)",
    registers: [options.metrics.registry],
    collect() {
      this.set(revocations.caughtUp() ? 1 : 0);
    },
  });
  return revocations;
}

/** The guard of a service that verifies no tokens: using it is a mistake, reported at boot when routes are built. */
function noGuard(service: string): Guard {
  const refuse = (): never => {
    throw new Error(`the ${service} service verifies no tokens: set \`tokens\` in its definition to guard routes`);
  };
  return { requireUser: refuse, requireAdmin: refuse, requireScope: refuse, requireAdminOrScope: refuse, requireToken: refuse, optionalPrincipal: refuse };
}

function consumerHandlers<Deps>(consumers: Consumers<Deps>, deps: Deps) {
  return Object.fromEntries(
    Object.entries(consumers).map(([type, handle]) => [
      type,
      (event: Envelope, delivery: { logger: Logger }) =>
        (handle as (event: Envelope, ctx: Ctx<Deps>) => Promise<void> | void)(event, { deps, logger: delivery.logger, requestId: event.requestId }),
    ]),
  );
}

async function startJob<Deps extends ServiceBase>(job: AnyJob<Deps>, deps: Deps) {
  for (const [jobName, every] of Object.entries(job.every ?? {})) await job.queue.upsertJobScheduler(jobName, { every }, { name: jobName });
  return createWorker(
    job.queue.name,
    (run, { logger }) => job.process(run, { deps, logger, requestId: (run.data as { requestId?: string } | null)?.requestId }),
    deps.jobsConnection,
    { concurrency: job.concurrency ?? 2, ...(job.stalledAfterMs ? { lockDuration: job.stalledAfterMs, stalledInterval: job.stalledAfterMs } : {}) },
  );
}

/**
 * A service's main.ts: parse its env (or exit listing what is wrong), start it, serve it on PORT, and on SIGTERM/SIGINT report not-ready (for
 * 3 s in production, so the proxy's health check sees it), drain in-flight requests, close.
 */
export async function runMain<Env extends ServiceEnv, Deps extends ServiceBase, Extra>(definition: ServiceDefinition<Env, Deps, Extra>) {
  const env = loadEnv(definition.env);
  const logger = createLogger({ service: definition.name, level: env.LOG_LEVEL });
  // Extra start options are all optional (tests' overrides): a standalone service runs with none.
  const running = await startService(definition, { env, logger } as StartOptions<Env> & Extra);
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
    maxRequestBodySize: definition.maxRequestBodySize?.(env),
    websocket: running.websocket,
  });
}
