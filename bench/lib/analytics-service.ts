/**
 * The analytics service in the bench's own process for the query benches: a fresh database and
 * Redis prefix, an issuer's tokens, a clock fixed at the end of March 2026 (the month the benches
 * generate) and no jobs (a bench rolls up when it means to). Requests go to `service.app.fetch`.
 */
import { parseEnv } from "@lodge/config";
import { createTestDatabase } from "@lodge/db/testing";
import { createLogger } from "@lodge/kit";
import { createTestRedis, startTestIssuer } from "@lodge/kit/testing";
import { analyticsEnv } from "../../apps/analytics/src/env";
import { startAnalyticsService } from "../../apps/analytics/src/service";

export async function startBenchAnalytics() {
  const database = await createTestDatabase();
  const { prefix, cleanup } = await createTestRedis();
  const issuer = await startTestIssuer();
  const env = parseEnv(analyticsEnv, {
    DATABASE_URL: database.url,
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_PREFIX: prefix,
    JWKS_URL: issuer.jwksUrl,
    LOG_LEVEL: "warn",
  });
  const service = await startAnalyticsService({
    env,
    database,
    clock: () => new Date("2026-03-31T12:00:00.000Z"),
    jobs: false,
    logger: createLogger({ service: "analytics", level: "warn" }),
  });
  // Bun's own Postgres client for the bench's statements (the app's queries go through the app).
  const sql = new Bun.SQL(database.url);
  const stop = async () => {
    await sql.close();
    await service.close();
    await issuer.stop();
    await database.drop();
    await cleanup();
  };
  return { database, issuer, service, sql, stop };
}

/** The value below which a share `p` (0–1) of the samples fall. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}
