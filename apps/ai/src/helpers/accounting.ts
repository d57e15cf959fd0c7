import { type AiLimits, apiKeys, userLimits } from "@lodge/db/schema";
import type { ServiceBase } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { AiEnv } from "../env";
import { createAiMetrics } from "./ai-metrics";
import { createCache } from "./cache";
import { createRelease, createReserve } from "./limiter";
import { createUsageWriter, usageStreamOf } from "./usage-writer";

export type UserOverrides = Omit<typeof userLimits.$inferSelect, "userId" | "updatedAt">;

const noOverrides: UserOverrides = { rpm: null, tpm: null, concurrency: null, dailyBudgetUsd: null, monthlyBudgetUsd: null };

/**
 * How long an admin's change to a user's limits takes to reach the other instances (this one drops
 * its copy at once): the overrides are read once per user per this long, not on every call.
 */
export const OVERRIDES_CACHE_MS = 5000;

/**
 * What admissions need besides Redis, built once per instance: the per-user overrides (cached for
 * OVERRIDES_CACHE_MS) and the keys' own limits (cached for good: a key's limits never change), so
 * admitting a call costs no Postgres query; the usage writer; the Prometheus series.
 */
export function createAccounting(base: ServiceBase, env: AiEnv) {
  const now = () => base.clock().getTime();
  const overrides = createCache<UserOverrides>({
    ttlMs: OVERRIDES_CACHE_MS,
    max: 50_000,
    now,
    load: async (userId) => {
      const [row] = await base.db.select().from(userLimits).where(eq(userLimits.userId, userId)).limit(1);
      return row
        ? { rpm: row.rpm, tpm: row.tpm, concurrency: row.concurrency, dailyBudgetUsd: row.dailyBudgetUsd, monthlyBudgetUsd: row.monthlyBudgetUsd }
        : noOverrides;
    },
  });
  const keyLimits = createCache<AiLimits>({
    ttlMs: Number.POSITIVE_INFINITY,
    max: 50_000,
    now,
    load: async (keyId) => {
      const [row] = await base.db.select({ limits: apiKeys.limits }).from(apiKeys).where(eq(apiKeys.id, keyId)).limit(1);
      return row?.limits ?? {};
    },
  });
  const usageStream = usageStreamOf(base.redisPrefix);
  /** Settles still under way: they run after the answer went out, and stopping waits for them. */
  const settling = new Set<Promise<void>>();
  return {
    overrides,
    keyLimits,
    usageStream,
    /** Admissions' and settles' steps in Redis (helpers/limiter.ts): those of one turn of the event loop go together. */
    reserve: createReserve(base.redis),
    release: createRelease(base.redis, usageStream),
    usageWriter: createUsageWriter({ redis: base.redis, db: base.db, logger: base.logger, prefix: base.redisPrefix }),
    recordCall: createAiMetrics(base.metrics),
    /** How long a call may hold a concurrency slot: past it, its instance is taken for dead and the slot freed. */
    leaseMs: env.AI_TOTAL_TIMEOUT_MS + 60_000,
    defaults: {
      rpm: env.AI_USER_RPM,
      tpm: env.AI_USER_TPM,
      concurrency: env.AI_USER_CONCURRENCY,
      dailyBudgetUsd: env.AI_USER_DAILY_BUDGET_USD,
      monthlyBudgetUsd: env.AI_USER_MONTHLY_BUDGET_USD,
    },
    maxKeysPerUser: env.AI_MAX_KEYS_PER_USER,
    /**
     * Lets a call's settle finish after its answer was sent (a settle that cannot reach Redis writes
     * its record to Postgres itself, and logs it when that fails too; anything else is logged here).
     */
    settleAfterAnswer(settle: Promise<void>) {
      // Nobody awaits it: a failure it did not handle itself is logged here, never an unhandled rejection.
      const tracked: Promise<void> = settle
        .catch((error: unknown) => base.logger.error({ err: error }, "a call's settle failed"))
        .finally(() => settling.delete(tracked));
      settling.add(tracked);
    },
    /** Resolves once every settle under way has ended (before the usage writer stops). */
    settled: () => Promise.all(settling).then(() => undefined),
  };
}

export type Accounting = ReturnType<typeof createAccounting>;
