import { deliveries, notifications, recipients } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { render, type SendChannel, typeNamed } from "../catalog/index";
import type { Ctx } from "../deps";
import { recipientFrom } from "../helpers/recipients";
import { countAndThrow, type SendOutcome, sendToAddresses } from "../helpers/send-to-addresses";
import { withUnsubscribe } from "../helpers/unsubscribe";

/**
 * Sends one delivery on its channel, at most once: the delivery row is locked, checked to be
 * `pending`, the message sent to each of the user's addresses on that channel (sendToAddresses),
 * and the row marked in the same transaction. Another run of the same job (a stalled job picked up
 * again, a job queued twice) waits on the lock and then finds it done. A temporary failure records
 * the attempt and throws `RetryLater` (BullMQ retries with backoff, or after the provider's delay);
 * the last attempt, or a refusal for good, marks it `failed`. Only a crash between the provider's
 * answer and the commit can send it again, under the same Message-ID / push Topic. A type with
 * `secretData` (a reset link) loses its stored data once its delivery is over.
 */
export async function deliver({ ctx, input }: { ctx: Ctx; input: { deliveryId: string; lastAttempt: boolean } }) {
  const { db, clock, channels } = ctx.deps;
  let channelName: SendChannel | undefined;
  const outcome = await db.transaction(async (tx): Promise<SendOutcome> => {
    // The delivery (locked), its notification and the recipient, in one round trip. (The lock names
    // the delivery by an alias: Postgres refuses a schema-qualified name in FOR UPDATE OF.)
    const locked = alias(deliveries, "locked_delivery");
    const [row] = await tx
      .select({ delivery: locked, notification: notifications, recipient: recipients })
      .from(locked)
      .leftJoin(notifications, eq(notifications.id, locked.notificationId))
      .leftJoin(recipients, eq(recipients.userId, notifications.userId))
      .where(eq(locked.id, input.deliveryId))
      .for("update", { of: locked });
    if (!row) return { status: "gone" };
    const { delivery, notification } = row;
    const channel = channels[delivery.channel as SendChannel];
    if (delivery.status !== "pending" || !channel) return { status: "already_done" };
    channelName = channel.name;
    if (!notification) return { status: "gone" };
    const recipient = recipientFrom(row.recipient ?? undefined);
    const type = typeNamed(notification.type);
    const rendered = withUnsubscribe(ctx.deps.config, render(type, notification.data, recipient.locale, { timeZone: recipient.timeZone }), {
      userId: notification.userId,
      categories: type.critical ? [] : [type.category],
    });
    const mark = async (changes: Partial<typeof deliveries.$inferInsert>, over: boolean) => {
      await tx.update(deliveries).set(changes).where(eq(deliveries.id, delivery.id));
      // Once nothing will render it again, a one-time link is not kept.
      if (over && type.secretData) await tx.update(notifications).set({ data: {} }).where(eq(notifications.id, notification.id));
    };

    const addresses = await channel.addressesOf(tx, { userId: notification.userId, stored: delivery.address });
    if (addresses.length === 0) {
      await mark({ status: "skipped", reason: "no_address" }, true);
      return { status: "skipped" };
    }
    const message = { rendered, key: delivery.id, notificationId: notification.id };
    const settled = await sendToAddresses(tx, channel, addresses, message, input.lastAttempt);
    const attempts = delivery.attempts + 1;
    if (settled.status === "sent") {
      const sentAt = clock();
      await mark({ attempts, status: "sent", reason: null, sentAt, messageId: settled.messageId }, true);
      // A delivery held for quiet hours counts from when they ended (its due time), not from its creation.
      const since = delivery.dueAt ?? notification.createdAt;
      ctx.deps.deliveryLatency.observe({ channel: channel.name }, Math.max(0, sentAt.getTime() - since.getTime()) / 1000);
    }
    if (settled.status === "retry") await mark({ attempts, status: "pending", reason: "send_failed" }, false);
    if (settled.status === "failed") await mark({ attempts, status: "failed", reason: settled.reason }, true);
    return settled;
  });
  if (channelName) countAndThrow(ctx, channelName, outcome);
  return { status: outcome.status };
}
