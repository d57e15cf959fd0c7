import { apiKeys, jobs, usage, userLimits } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { mirrorRevokedKey } from "../helpers/api-keys";
import { dropCachedOf } from "../helpers/response-cache";
import { ERASED_FLAG_SECONDS, erasedUserKeyOf } from "../helpers/usage-writer";

/**
 * Account deletion: the user's cached answers, their API keys (so none of them authenticates again),
 * their limit and budget overrides, their usage records and their jobs go, in one transaction that also publishes
 * `user.data_erased` (service "ai"), so the saga hears of it exactly when it is true. Safe to run again.
 */
export async function eraseUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { outbox, db, clock, redis, redisPrefix } = ctx.deps;
  // Every instance reads keys from their records in Redis: those go first (as revoked), so no key
  // works from here on even where Redis still holds it; the usage writer is told to drop the user's
  // records still in its stream; and their cached answers go. Should Redis fail, nothing is erased
  // yet and the event is tried again.
  const now = clock();
  for (const key of await db.select().from(apiKeys).where(eq(apiKeys.userId, input.userId))) {
    await mirrorRevokedKey(ctx.deps, { ...key, revokedAt: key.revokedAt ?? now });
  }
  await redis.set(erasedUserKeyOf(redisPrefix, input.userId), "1", "EX", ERASED_FLAG_SECONDS);
  await dropCachedOf(ctx.deps, input.userId);
  return outbox.transaction(async (tx) => {
    const keys = await tx.delete(apiKeys).where(eq(apiKeys.userId, input.userId)).returning({ id: apiKeys.id });
    await tx.delete(userLimits).where(eq(userLimits.userId, input.userId));
    const calls = await tx.delete(usage).where(eq(usage.userId, input.userId)).returning({ id: usage.id });
    const removedJobs = await tx.delete(jobs).where(eq(jobs.userId, input.userId)).returning({ id: jobs.id });
    await outbox.enqueue(tx, "user.data_erased", { userId: input.userId, service: "ai" }, ctx.requestId);
    return { keys: keys.length, usage: calls.length, jobs: removedJobs.length };
  });
}
