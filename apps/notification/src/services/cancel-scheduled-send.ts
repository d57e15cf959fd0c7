import { scheduledSends } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { callerOf } from "../helpers/triggers";

/**
 * Cancels a send the caller scheduled (anyone else's is a 404, as a missing one is; cancelling
 * twice is fine). One already sent is a 409. Its job, if still queued, is removed; were it to run,
 * it would find the send cancelled.
 */
export async function cancelScheduledSend({ ctx, input }: { ctx: Ctx; input: { id: string } }) {
  const { db, triggers } = ctx.deps;
  const mine = and(eq(scheduledSends.id, input.id), eq(scheduledSends.caller, callerOf(ctx)));
  const [cancelled] = await db
    .update(scheduledSends)
    .set({ status: "cancelled" })
    .where(and(mine, eq(scheduledSends.status, "scheduled")))
    .returning({ id: scheduledSends.id });
  if (!cancelled) {
    const [row] = await db.select({ status: scheduledSends.status }).from(scheduledSends).where(mine);
    if (!row) throw new ApiError({ code: "NOT_FOUND", message: "No such scheduled send" });
    if (row.status === "sent") throw new ApiError({ code: "CONFLICT", message: "This send has already gone out" });
  }
  await triggers.remove(`send-${input.id}`).catch(() => 0);
}
