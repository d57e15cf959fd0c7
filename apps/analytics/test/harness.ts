import { parseEnv } from "@lodge/config";
import { createTestDatabase } from "@lodge/db/testing";
import { createLogger } from "@lodge/kit";
import { createManualClock, createTestRedis, call as request, startTestIssuer } from "@lodge/kit/testing";
import { analyticsEnv } from "../src/env";
import { type AnalyticsServiceOptions, startAnalyticsService } from "../src/service";

export type TestAnalytics = Awaited<ReturnType<typeof startTestAnalytics>>;

type StartOptions = {
  env?: Record<string, string>;
  /** Where the clock stands (10:00:00 UTC on 2026-03-10 unless given); it moves only when a test moves it. */
  start?: string;
  /** false: no job workers (the rollups run only when a test calls rollUp). */
  jobs?: boolean;
  /** false: the main instance runs no ingest writer (what waits in the stream stays there). */
  writer?: boolean;
};

/**
 * The analytics service in this process on a random port, with its own test database and Redis
 * prefix, tokens from a test issuer and a clock that moves only when told. `startInstance` starts
 * another instance on the same database and Redis (as behind Caddy); every log line is in `logLines`.
 */
export async function startTestAnalytics(options: StartOptions = {}) {
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  const clock = createManualClock(options.start ?? "2026-03-10T10:00:00.000Z");
  const issuer = await startTestIssuer({ clock: clock.now });
  const env = parseEnv(analyticsEnv, {
    DATABASE_URL: database.url,
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_PREFIX: prefix,
    JWKS_URL: issuer.jwksUrl,
    LOG_LEVEL: "debug",
    ...options.env,
  });
  const logLines: Record<string, unknown>[] = [];
  const destination = { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) };
  const running: { close: () => Promise<void> }[] = [];

  /** An instance of the service on this database, Redis prefix and clock, served on a random port. */
  async function startInstance(instance: Partial<Pick<AnalyticsServiceOptions, "redis" | "writer">> & { ownRedis?: boolean } = {}) {
    const service = await startAnalyticsService({
      env,
      database,
      ...(instance.ownRedis ? {} : { redis: instance.redis ?? redis }),
      clock: clock.now,
      jobs: options.jobs,
      writer: instance.writer,
      logger: createLogger({ service: "analytics", level: "debug", destination }),
    });
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: service.app.fetch, idleTimeout: 0 });
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await server.stop(true);
      await service.close();
    };
    running.push({ close });
    const url = `http://127.0.0.1:${server.port}`;
    return {
      url,
      service,
      deps: service.deps,
      call: (method: string, path: string, callOptions?: Parameters<typeof request>[3]) => request(url, method, path, callOptions),
      close,
    };
  }

  const main = await startInstance({ writer: options.writer });
  return {
    ...main,
    env,
    startInstance,
    issuer,
    db: database.db,
    databaseUrl: database.url,
    redis,
    prefix,
    clock,
    logLines,
    user: () => issuer.user(),
    close: async () => {
      for (const instance of running.reverse()) await instance.close();
      await issuer.stop();
      await database.drop();
      await cleanup();
    },
  };
}
