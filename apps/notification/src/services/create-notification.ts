import { deliveries, notifications } from "@lodge/db/schema";
import { and, eq, inArray } from "drizzle-orm";
import { type Channel, type NotificationType, render, typeNamed } from "../catalog/index";
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

/**
 * Stores a notification in the user's inbox, rendered in their language, with one delivery per
 * channel of its type: the inbox at once (`sent`), email `pending` (or `skipped`, `no_address`).
 * Then queues every email delivery still pending, one job per delivery id, so that a redelivered
 * event (same `sourceKey`) queues what a crash left unqueued and sends nothing twice.
 */
export async function createNotification({ ctx, input }: { ctx: Ctx; input: Input }) {
  const { db, clock } = ctx.deps;
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
    await tx.insert(deliveries).values(initialDeliveries(row.id, type, { address, now }));
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

  await queuePendingEmails(ctx, [notification.id]);
  return notification;
}

/**
 * The deliveries a new notification starts with, one per channel of its type: the inbox at once
 * (`sent`), email `pending` (or `skipped`, `no_address`); a channel the sender left out of `only`
 * is `skipped` with reason `not_requested`.
 */
export function initialDeliveries(
  notificationId: string,
  type: NotificationType,
  options: { address: string | null | undefined; now: Date; only?: readonly Channel[] },
): (typeof deliveries.$inferInsert)[] {
  const { address, now, only } = options;
  return type.channels.map((channel) => {
    if (only && !only.includes(channel)) return { notificationId, channel, status: "skipped" as const, reason: "not_requested" };
    if (channel === "in_app") return { notificationId, channel, status: "sent" as const, sentAt: now, attempts: 1 };
    return address
      ? { notificationId, channel, status: "pending" as const, address }
      : { notificationId, channel, status: "skipped" as const, reason: "no_address" };
  });
}

/** Queues every email delivery of these notifications still pending, one job per delivery id (so none is queued twice). */
export async function queuePendingEmails(ctx: Ctx, notificationIds: string[]) {
  if (notificationIds.length === 0) return;
  const pending = await ctx.deps.db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(inArray(deliveries.notificationId, notificationIds), eq(deliveries.channel, "email"), eq(deliveries.status, "pending")));
  await ctx.deps.emails.addBulk(
    pending.map((delivery) => ({ name: "send", data: { deliveryId: delivery.id, requestId: ctx.requestId }, opts: { jobId: delivery.id } })),
  );
}
