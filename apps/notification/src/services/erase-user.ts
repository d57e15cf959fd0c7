import {
  categoryPreferences,
  digests,
  erasedUserKey,
  erasedUsers,
  fcmDevices,
  notifications,
  pushSubscriptions,
  recipients,
  reminders,
  scheduledSends,
  sendRequests,
  telegramLinks,
  unreadCounts,
} from "@lodge/db/schema";
import { and, eq, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { lockRemindersOf } from "../helpers/reminder-lock";

/**
 * Account deletion: the user's notifications (their deliveries with them, by the foreign key), their
 * digests, category choices, reminders, push subscriptions, FCM devices, Telegram link and the
 * address and settings copy go, and the user leaves the sends scheduled to them. A delivery job still queued then finds its delivery gone and sends nothing.
 * The user is remembered as erased (by a hash of the id), so a late event about them stores nothing.
 * Safe to run again. `user.data_erased` (service "notification") is published with the rows'
 * removal, so the saga hears of it exactly when it is true.
 */
export async function eraseUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { outbox } = ctx.deps;
  return outbox.transaction(async (tx) => {
    // A reminder being created for them (by a service client) commits first and goes with the rest.
    await lockRemindersOf(tx, input.userId);
    const removed = await tx.delete(notifications).where(eq(notifications.userId, input.userId)).returning({ id: notifications.id });
    // Their count went to 0 with them; the row goes too, unless a send that committed meanwhile
    // counted one more (Postgres rechecks the condition on the row's latest version).
    await tx.delete(unreadCounts).where(and(eq(unreadCounts.userId, input.userId), eq(unreadCounts.unread, 0)));
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
    await tx.delete(pushSubscriptions).where(eq(pushSubscriptions.userId, input.userId));
    await tx.delete(fcmDevices).where(eq(fcmDevices.userId, input.userId));
    await tx.delete(telegramLinks).where(eq(telegramLinks.userId, input.userId));
    await tx.delete(categoryPreferences).where(eq(categoryPreferences.userId, input.userId));
    await tx.delete(digests).where(eq(digests.userId, input.userId));
    await tx
      .insert(erasedUsers)
      .values({ userKey: erasedUserKey(input.userId), erasedAt: ctx.deps.clock() })
      .onConflictDoNothing();
    await outbox.enqueue(tx, "user.data_erased", { userId: input.userId, service: "notification" }, ctx.requestId);
    return { notifications: removed.length };
  });
}
