import { apiKeys, jobs, usage, userLimits } from "@lodge/db/schema";
import { asc, eq } from "drizzle-orm";
import type { Ctx } from "../deps";

const iso = (value: Date | null) => value?.toISOString() ?? null;

/**
 * What the AI service holds about the user, for the user service's GDPR export: their API keys
 * (never the hashes), the limit and budget overrides an admin set for them, every usage record
 * and every job with its request and result.
 */
export async function exportUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db } = ctx.deps;
  const keys = await db.select().from(apiKeys).where(eq(apiKeys.userId, input.userId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
  const [limits] = await db.select().from(userLimits).where(eq(userLimits.userId, input.userId));
  const calls = await db.select().from(usage).where(eq(usage.userId, input.userId)).orderBy(asc(usage.createdAt), asc(usage.id));
  const theirJobs = await db.select().from(jobs).where(eq(jobs.userId, input.userId)).orderBy(asc(jobs.createdAt), asc(jobs.id));
  return {
    userId: input.userId,
    keys: keys.map((key) => ({
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      limits: key.limits,
      createdAt: key.createdAt.toISOString(),
      expiresAt: iso(key.expiresAt),
      lastUsedAt: iso(key.lastUsedAt),
      revokedAt: iso(key.revokedAt),
    })),
    limits: limits
      ? {
          rpm: limits.rpm,
          tpm: limits.tpm,
          concurrency: limits.concurrency,
          dailyBudgetUsd: limits.dailyBudgetUsd,
          monthlyBudgetUsd: limits.monthlyBudgetUsd,
          updatedAt: limits.updatedAt.toISOString(),
        }
      : null,
    usage: calls.map(({ userId: _userId, createdAt, ...call }) => ({ ...call, createdAt: createdAt.toISOString() })),
    jobs: theirJobs.map(({ userId: _userId, createdAt, startedAt, finishedAt, ...job }) => ({
      ...job,
      createdAt: createdAt.toISOString(),
      startedAt: iso(startedAt),
      finishedAt: iso(finishedAt),
    })),
  };
}
