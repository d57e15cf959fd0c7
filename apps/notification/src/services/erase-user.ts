import { notifications, recipients, reminders, scheduledSends, sendRequests } from "@lodge/db/schema";
import { eq, sql } from "drizzle-orm";
import type { Ctx } from "../deps";

/**
 * Account deletion: the user's notifications (their deliveries with them, by the foreign key) and
 * the address copy go. An email job still queued then finds its delivery gone and sends nothing.
 * Safe to run again. The acknowledgement, `user.data_erased` (service "notification") enqueued in
 * this transaction, comes with `holdsUserData: true` in @lodge/services: until then the catalog
 * does not list this service among those the saga waits for.
 */
export async function eraseUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { outbox } = ctx.deps;
  return outbox.transaction(async (tx) => {
    const removed = await tx.delete(notifications).where(eq(notifications.userId, input.userId)).returning({ id: notifications.id });
    await tx.delete(recipients).where(eq(recipients.userId, input.userId));
    // Reminders go; scheduled sends forget the user (a send left without recipients goes), and so
    // do an admin's own sends and idempotency keys: the caller is them.
    await tx.delete(reminders).where(eq(reminders.userId, input.userId));
    await tx
      .update(scheduledSends)
      .set({ userIds: sql`array_remove(${scheduledSends.userIds}, ${input.userId}::uuid)` })
      .where(sql`${input.userId}::uuid = any(${scheduledSends.userIds})`);
    await tx.delete(scheduledSends).where(sql`cardinality(${scheduledSends.userIds}) = 0 or ${scheduledSends.caller} = ${`user:${input.userId}`}`);
    await tx.delete(sendRequests).where(eq(sendRequests.caller, `user:${input.userId}`));
    return { notifications: removed.length };
  });
}
