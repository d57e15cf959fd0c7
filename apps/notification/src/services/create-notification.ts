import { deliveries, notifications } from "@lodge/db/schema";
import { and, eq } from "drizzle-orm";
import { render, typeNamed } from "../catalog/index";
import type { Ctx } from "../deps";
import { announceCreated } from "../realtime/announce";
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
 * Then tells the user's open sockets, and queues every email delivery still pending, one job per delivery id, so that a redelivered
 * event (same `sourceKey`) queues what a crash left unqueued and sends nothing twice.
 */
export async function createNotification({ ctx, input }: { ctx: Ctx; input: Input }) {
  const { db, clock, emails } = ctx.deps;
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
    await tx.insert(deliveries).values(
      type.channels.map((channel) => {
        if (channel === "in_app") return { notificationId: row.id, channel, status: "sent" as const, sentAt: now, attempts: 1 };
        return address
          ? { notificationId: row.id, channel, status: "pending" as const, address }
          : { notificationId: row.id, channel, status: "skipped" as const, reason: "no_address" };
      }),
    );
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
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(eq(deliveries.notificationId, notification.id), eq(deliveries.channel, "email"), eq(deliveries.status, "pending")));
  for (const delivery of pending) await emails.add("send", { deliveryId: delivery.id, requestId: ctx.requestId }, { jobId: delivery.id });
  return notification;
}
