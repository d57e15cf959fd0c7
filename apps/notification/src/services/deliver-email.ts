import { deliveries, notifications } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import { render, typeNamed } from "../catalog/index";
import type { Ctx } from "../deps";
import { messageIdFor } from "../helpers/mailer";
import { recipientOf } from "./recipients";

type Outcome = { status: "sent" | "already_done" | "gone" } | { status: "retry"; error: unknown };

/**
 * Sends one email delivery, at most once: the delivery row is locked, checked to be `pending`,
 * the email sent, and the row marked `sent` in the same transaction. Another run of the same job
 * (a stalled job picked up again, a job queued twice) waits on the lock and then finds it sent.
 * A failed send records the attempt and throws, so BullMQ retries with backoff; the last attempt
 * marks the delivery `failed`. Only a crash between the SMTP answer and the commit can send it
 * again, under the same Message-ID. A type with `secretData` (a reset link) loses its stored data
 * once its email is sent or has failed for good.
 */
export async function deliverEmail({ ctx, input }: { ctx: Ctx; input: { deliveryId: string; lastAttempt: boolean } }) {
  const { db, mailer, clock, config } = ctx.deps;
  const outcome = await db.transaction(async (tx): Promise<Outcome> => {
    const [delivery] = await tx.select().from(deliveries).where(eq(deliveries.id, input.deliveryId)).for("update");
    if (!delivery) return { status: "gone" };
    if (delivery.status !== "pending" || !delivery.address) return { status: "already_done" };
    const [notification] = await tx.select().from(notifications).where(eq(notifications.id, delivery.notificationId));
    if (!notification) return { status: "gone" };
    const recipient = await recipientOf(ctx, notification.userId, tx);
    const type = typeNamed(notification.type);
    const { email } = render(type, notification.data, recipient.locale, { timeZone: recipient.timeZone });
    // Once nothing will render it again, a one-time link is not kept.
    const forgetSecret = async () => {
      if (type.secretData) await tx.update(notifications).set({ data: {} }).where(eq(notifications.id, notification.id));
    };
    const messageId = messageIdFor(delivery.id, config.mailFrom);
    const attempts = delivery.attempts + 1;
    try {
      await mailer.send({ to: delivery.address, ...email, messageId });
    } catch (error) {
      await tx
        .update(deliveries)
        .set({ attempts, status: input.lastAttempt ? "failed" : "pending", reason: "send_failed" })
        .where(eq(deliveries.id, delivery.id));
      if (input.lastAttempt) await forgetSecret();
      return { status: "retry", error };
    }
    await tx.update(deliveries).set({ attempts, status: "sent", reason: null, sentAt: clock(), messageId }).where(eq(deliveries.id, delivery.id));
    await forgetSecret();
    return { status: "sent" };
  });
  if (outcome.status === "sent") ctx.deps.sends.inc({ channel: "email", outcome: "sent" });
  if (outcome.status === "retry") {
    ctx.deps.sends.inc({ channel: "email", outcome: input.lastAttempt ? "failed" : "retry" });
    throw outcome.error;
  }
  return outcome;
}
