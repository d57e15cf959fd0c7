import { deletions } from "@lodge/db/schema";
import type { erasingServices } from "@lodge/services";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { deleteUserRows } from "../helpers/delete-user-rows";

/**
 * On `user.data_erased`: the service is no longer pending. When none is, the deletion is complete:
 * `completedAt` is set and `user.deleted` published, once (the row lock makes concurrent
 * acknowledgements take turns, and only the one that empties the list completes it). What stays is
 * the tombstone: the user id and two timestamps, so a late event or a still-valid token never
 * brings a profile back.
 */
export async function recordErasure({ ctx, input }: { ctx: Ctx; input: { userId: string; service: (typeof erasingServices)[number] } }) {
  await ctx.deps.outbox.transaction(async (tx) => {
    const [row] = await tx
      .update(deletions)
      .set({ pending: sql`array_remove(${deletions.pending}, ${input.service}::text)` })
      .where(and(eq(deletions.userId, input.userId), isNull(deletions.completedAt)))
      .returning();
    if (!row || row.pending.length > 0) return;
    await tx.update(deletions).set({ completedAt: ctx.deps.clock() }).where(eq(deletions.userId, input.userId));
    // Anything a request or event in flight wrote after our own erasure goes too.
    await deleteUserRows(tx, input.userId);
    await ctx.deps.outbox.enqueue(tx, "user.deleted", { userId: input.userId }, ctx.requestId);
    ctx.logger.info({ userId: input.userId }, "account deletion complete");
  });
}
