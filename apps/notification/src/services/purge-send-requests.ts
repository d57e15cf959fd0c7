import { sendRequests } from "@lodge/db/schema";
import { lte } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Removes idempotency keys past their 24 h (the repeatable job `purge-idempotency-keys`). */
export async function purgeSendRequests({ ctx }: { ctx: Ctx }) {
  const removed = await ctx.deps.db.delete(sendRequests).where(lte(sendRequests.expiresAt, ctx.deps.clock())).returning({ id: sendRequests.id });
  return { removed: removed.length };
}
