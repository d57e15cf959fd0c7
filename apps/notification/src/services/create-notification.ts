import { deliveries, notifications } from "@lodge/db/schema";
import { and, eq, inArray } from "drizzle-orm";
import { type Channel, render, type SendChannel, typeNamed } from "../catalog/index";
import type { Ctx } from "../deps";
import { recipientOf } from "./recipients";

type Input = {
  userId: string;
  /** A key of the type catalog. */
  type: string;
  data: unknown;
  /** What made it (a bus event's id): the same key again makes no second notification. */
  sourceKey?: string;
  /** Where to email it when the trigger says (auth's verification and reset events carry the address). */
  email?: string;
};

type Planned = { status: "pending" | "held" | "sent" | "skipped"; reason?: string };

/**
 * The status a new delivery starts in: the inbox is `sent` at once; a channel without credentials
 * or a user without an address on it is `skipped`; the rest is `pending` (queued). The one place
 * that decides it, so preferences, quiet hours and digests decide here too.
 */
export function plannedDelivery(channel: Channel, known: { configured: boolean; hasAddress: boolean }): Planned {
  if (channel === "in_app") return { status: "sent" };
  if (!known.configured) return { status: "skipped", reason: "not_configured" };
  if (!known.hasAddress) return { status: "skipped", reason: "no_address" };
  return { status: "pending" };
}

/**
 * Stores a notification in the user's inbox, rendered in their language, with one delivery per
 * channel of its type, in the status `plannedDelivery` gives. Then queues every delivery still
 * pending, one job per delivery id on its channel's queue, so that a redelivered event (same
 * `sourceKey`) queues what a crash left unqueued and sends nothing twice.
 */
export async function createNotification({ ctx, input }: { ctx: Ctx; input: Input }) {
  const { db, clock, channels, deliveryQueues } = ctx.deps;
  const type = typeNamed(input.type);
  const data = type.data.parse(input.data);
  const recipient = await recipientOf(ctx, input.userId);
  const { inApp } = render(type, data, recipient.locale, { timeZone: recipient.timeZone });
  const address = input.email ?? recipient.email;
  const now = clock();

  const created = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(notifications)
      .values({
        userId: input.userId,
        type: type.key,
        category: type.category,
        title: inApp.title,
        body: inApp.body,
        link: inApp.link,
        data,
        sourceKey: input.sourceKey,
        createdAt: now,
      })
      .onConflictDoNothing({ target: notifications.sourceKey })
      .returning();
    if (!row) return undefined;
    const planned = [];
    for (const channel of type.channels) {
      const sender = channel === "in_app" ? undefined : channels[channel];
      const hasAddress = sender ? (await sender.addressesOf(tx, { userId: input.userId, stored: address })).length > 0 : true;
      const { status, reason } = plannedDelivery(channel, { configured: sender?.configured ?? true, hasAddress });
      planned.push({
        notificationId: row.id,
        channel,
        status,
        reason,
        ...(channel === "email" && status === "pending" ? { address } : {}),
        ...(status === "sent" ? { sentAt: now, attempts: 1 } : {}),
      });
    }
    await tx.insert(deliveries).values(planned);
    return row;
  });
  const notification =
    created ??
    (
      await db
        .select()
        .from(notifications)
        .where(eq(notifications.sourceKey, input.sourceKey as string))
    )[0];
  if (!notification) throw new Error("notification neither created nor found");

  const pending = await db
    .select({ id: deliveries.id, channel: deliveries.channel })
    .from(deliveries)
    .where(and(eq(deliveries.notificationId, notification.id), inArray(deliveries.channel, Object.keys(deliveryQueues)), eq(deliveries.status, "pending")));
  for (const delivery of pending)
    await deliveryQueues[delivery.channel as SendChannel].add("send", { deliveryId: delivery.id, requestId: ctx.requestId }, { jobId: delivery.id });
  return notification;
}
