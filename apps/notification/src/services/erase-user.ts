import { fcmDevices, notifications, pushSubscriptions, recipients, telegramLinks } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/**
 * Account deletion: the user's notifications (their deliveries with them, by the foreign key), the
 * address copy, push subscriptions, FCM devices and Telegram link go. An email job still queued then finds its delivery gone and sends nothing.
 * Safe to run again. The acknowledgement, `user.data_erased` (service "notification") enqueued in
 * this transaction, comes with `holdsUserData: true` in @lodge/services: until then the catalog
 * does not list this service among those the saga waits for.
 */
export async function eraseUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { outbox } = ctx.deps;
  return outbox.transaction(async (tx) => {
    const removed = await tx.delete(notifications).where(eq(notifications.userId, input.userId)).returning({ id: notifications.id });
    await tx.delete(recipients).where(eq(recipients.userId, input.userId));
    await tx.delete(pushSubscriptions).where(eq(pushSubscriptions.userId, input.userId));
    await tx.delete(fcmDevices).where(eq(fcmDevices.userId, input.userId));
    await tx.delete(telegramLinks).where(eq(telegramLinks.userId, input.userId));
    return { notifications: removed.length };
  });
}
