import { apiKeys, jobs, usage, userLimits } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { dropCachedOf } from "../helpers/response-cache";

/**
 * Account deletion: the user's cached answers, their API keys (so none of them authenticates again),
 * their limit and budget overrides, their usage records and their jobs go, in one transaction that also publishes
 * `user.data_erased` (service "ai"), so the saga hears of it exactly when it is true. Safe to run again.
 */
export async function eraseUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { outbox } = ctx.deps;
  // The user's cached answers go first: should Redis fail, nothing is erased yet and the event is tried again.
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
