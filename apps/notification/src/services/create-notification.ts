import { deliveries, notifications } from "@lodge/db/schema";
import { and, eq } from "drizzle-orm";
import { render, typeNamed } from "../catalog/index";
import type { Ctx } from "../deps";
import { type Plan, planDelivery } from "../helpers/delivery-plan";
import { announceCreated } from "../realtime/announce";
import { ensureSettings } from "./ensure-settings";
import { queueDeliveries } from "./queue-deliveries";
import { optOutsOf, recipientOf } from "./recipients";

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

/**
 * Stores a notification in the user's inbox, rendered in their language, with one delivery per
 * channel of its type, planned from the channel's configuration, the user's addresses and their
 * settings (see planDelivery): the inbox `sent` at once, others `pending`, `held` (quiet hours,
 * digest) or `skipped`. Then tells the user's open sockets, and queues every delivery still pending,
 * one job per delivery id on its channel's queue, so that a redelivered event (same `sourceKey`)
 * queues what a crash left unqueued and sends nothing twice.
 */
export async function createNotification({ ctx, input }: { ctx: Ctx; input: Input }) {
  const { db, clock, config, channels } = ctx.deps;
  const type = typeNamed(input.type);
  const data = type.data.parse(input.data);
  await ensureSettings({ ctx, input: { userId: input.userId } });
  const [recipient, optOuts] = await Promise.all([recipientOf(ctx, input.userId), optOutsOf(db, input.userId)]);
  const { inApp } = render(type, data, recipient.locale, { timeZone: recipient.timeZone });
  const address = input.email ?? recipient.email;
  const audience = { settings: recipient.settings, optOuts, timeZone: recipient.timeZone };
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
      const reach = sender
        ? { configured: sender.configured, hasAddress: (await sender.addressesOf(tx, { userId: input.userId, stored: address })).length > 0 }
        : { configured: true, hasAddress: true };
      const plan = planDelivery({ type, channel, audience, ...reach, now, digestTime: config.digestTime });
      planned.push({ notificationId: row.id, channel, ...deliveryFields(plan, now, channel === "email" ? address : null) });
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
  if (created) await announceCreated(ctx, created);

  const pending = await db
    .select({ id: deliveries.id, channel: deliveries.channel })
    .from(deliveries)
    .where(and(eq(deliveries.notificationId, notification.id), eq(deliveries.status, "pending")));
  await queueDeliveries(ctx, pending);
  return notification;
}

/** A delivery row's status columns for its plan; the address (email's) with what will be sent. */
function deliveryFields(plan: Plan, now: Date, address: string | null) {
  switch (plan.status) {
    case "sent":
      return { status: plan.status, sentAt: now, attempts: 1 };
    case "pending":
      return { status: plan.status, address };
    case "skipped":
      return { status: plan.status, reason: plan.reason };
    case "held":
      return { status: plan.status, reason: plan.reason, dueAt: plan.dueAt, address };
  }
}
