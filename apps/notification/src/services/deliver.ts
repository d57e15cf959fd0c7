import { deliveries, notifications } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import { render, type SendChannel, typeNamed } from "../catalog/index";
import type { SendResult } from "../channels/index";
import type { Ctx } from "../deps";
import { recipientOf } from "./recipients";

type Outcome = { status: "sent" | "already_done" | "gone" | "skipped" | "failed" } | { status: "retry"; error: unknown; retryAfterMs?: number };

/** A send worth trying again; `retryAfterMs` when the provider said how long to wait (Telegram's `retry_after`, a `Retry-After`). */
export class RetryLater extends Error {
  constructor(
    override readonly cause: unknown,
    readonly retryAfterMs?: number,
  ) {
    super(cause instanceof Error ? cause.message : "send failed");
  }
}

/**
 * Sends one delivery on its channel, at most once: the delivery row is locked, checked to be
 * `pending`, the message sent to each of the user's addresses on that channel, and the row marked
 * in the same transaction. Another run of the same job (a stalled job picked up again, a job queued
 * twice) waits on the lock and then finds it done. An address the provider reports gone is removed
 * in that transaction. One address reached makes it `sent`; otherwise a temporary failure records
 * the attempt and throws `RetryLater` (BullMQ retries with backoff, or after the provider's delay),
 * and the last attempt, or a refusal for good, marks it `failed`. Only a crash between the
 * provider's answer and the commit can send it again, under the same Message-ID / push Topic. A
 * type with `secretData` (a reset link) loses its stored data once its delivery is over.
 */
export async function deliver({ ctx, input }: { ctx: Ctx; input: { deliveryId: string; lastAttempt: boolean } }) {
  const { db, clock, channels, sends } = ctx.deps;
  let channelName: SendChannel | undefined;
  const outcome = await db.transaction(async (tx): Promise<Outcome> => {
    const [delivery] = await tx.select().from(deliveries).where(eq(deliveries.id, input.deliveryId)).for("update");
    if (!delivery) return { status: "gone" };
    const channel = channels[delivery.channel as SendChannel];
    if (delivery.status !== "pending" || !channel) return { status: "already_done" };
    channelName = channel.name;
    const [notification] = await tx.select().from(notifications).where(eq(notifications.id, delivery.notificationId));
    if (!notification) return { status: "gone" };
    const recipient = await recipientOf(ctx, notification.userId, tx);
    const type = typeNamed(notification.type);
    const rendered = render(type, notification.data, recipient.locale, { timeZone: recipient.timeZone });
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
    const results: SendResult[] = [];
    for (const address of addresses) {
      const result = await channel.send({ address, rendered, delivery, notification });
      if (result.outcome === "gone") await channel.forget(tx, address);
      results.push(result);
    }
    const attempts = delivery.attempts + 1;
    const sent = results.find((result) => result.outcome === "sent");
    if (sent) {
      await mark({ attempts, status: "sent", reason: null, sentAt: clock(), messageId: sent.messageId ?? null }, true);
      return { status: "sent" };
    }
    const retry = results.find((result) => result.outcome === "retry");
    // Waiting as the provider asked is not one of the attempts BullMQ counts, so it is never the last.
    if (retry && !(input.lastAttempt && retry.retryAfterMs === undefined)) {
      await mark({ attempts, status: "pending", reason: "send_failed" }, false);
      return { status: "retry", error: retry.error, retryAfterMs: retry.retryAfterMs };
    }
    const reason = retry ? "send_failed" : results.some((result) => result.outcome === "failed") ? "rejected" : "address_gone";
    await mark({ attempts, status: "failed", reason }, true);
    if (retry) return { status: "retry", error: retry.error };
    return { status: "failed" };
  });
  if (channelName && outcome.status !== "already_done" && outcome.status !== "gone") {
    const counted = outcome.status === "retry" ? (input.lastAttempt && outcome.retryAfterMs === undefined ? "failed" : "retry") : outcome.status;
    sends.inc({ channel: channelName, outcome: counted });
  }
  if (outcome.status === "retry") throw new RetryLater(outcome.error, outcome.retryAfterMs);
  return outcome;
}
