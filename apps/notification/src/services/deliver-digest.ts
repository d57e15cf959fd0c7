import { deliveries, digests, notifications } from "@lodge/db/schema";
import { asc, eq } from "drizzle-orm";
import { digestEmail } from "../catalog/digest";
import type { Ctx } from "../deps";
import { messageIdFor } from "../helpers/mailer";
import { recipientOf } from "./recipients";

type Outcome = { status: "sent" | "already_done" | "gone" } | { status: "retry"; error: unknown };

/**
 * Sends one digest at most once, as deliverEmail sends one email: the digest row locked, checked
 * to be `pending`, the email sent and the digest and every delivery it carries marked `sent` (with
 * the digest's Message-ID) in the same transaction. A failed send is retried by BullMQ; the last
 * attempt marks the digest and its deliveries `failed`. A digest whose notifications were all
 * deleted, or whose user has no address any more, is dropped.
 */
export async function deliverDigest({ ctx, input }: { ctx: Ctx; input: { digestId: string; lastAttempt: boolean } }) {
  const { db, mailer, clock, config } = ctx.deps;
  const outcome = await db.transaction(async (tx): Promise<Outcome> => {
    const [digest] = await tx.select().from(digests).where(eq(digests.id, input.digestId)).for("update");
    if (!digest) return { status: "gone" };
    if (digest.status !== "pending") return { status: "already_done" };
    const items = await tx
      .select({ address: deliveries.address, title: notifications.title, body: notifications.body, link: notifications.link })
      .from(deliveries)
      .innerJoin(notifications, eq(notifications.id, deliveries.notificationId))
      .where(eq(deliveries.digestId, digest.id))
      .orderBy(asc(notifications.id));
    const recipient = await recipientOf(ctx, digest.userId, tx);
    const address = recipient.email ?? items[0]?.address;
    if (items.length === 0 || !address) {
      await tx.delete(digests).where(eq(digests.id, digest.id));
      return { status: "gone" };
    }
    const messageId = messageIdFor(digest.id, config.mailFrom);
    const attempts = digest.attempts + 1;
    try {
      await mailer.send({ to: address, ...digestEmail(recipient.locale, items), messageId });
    } catch (error) {
      const status = input.lastAttempt ? "failed" : "pending";
      await tx.update(digests).set({ attempts, status }).where(eq(digests.id, digest.id));
      if (input.lastAttempt) await tx.update(deliveries).set({ status: "failed", reason: "send_failed" }).where(eq(deliveries.digestId, digest.id));
      return { status: "retry", error };
    }
    const sentAt = clock();
    await tx.update(digests).set({ attempts, status: "sent", sentAt, messageId }).where(eq(digests.id, digest.id));
    await tx.update(deliveries).set({ status: "sent", dueAt: null, sentAt, messageId }).where(eq(deliveries.digestId, digest.id));
    return { status: "sent" };
  });
  if (outcome.status === "sent") ctx.deps.sends.inc({ channel: "email_digest", outcome: "sent" });
  if (outcome.status === "retry") {
    ctx.deps.sends.inc({ channel: "email_digest", outcome: input.lastAttempt ? "failed" : "retry" });
    throw outcome.error;
  }
  return outcome;
}
