import { deliveries, digests, notifications } from "@lodge/db/schema";
import { asc, eq } from "drizzle-orm";
import { renderDigest } from "../catalog/digest";
import { type SendChannel, typeNamed } from "../catalog/index";
import type { Ctx } from "../deps";
import { recipientOf } from "../helpers/recipients";
import { countAndThrow, type SendOutcome, sendToAddresses } from "../helpers/send-to-addresses";
import { withUnsubscribe } from "../helpers/unsubscribe";

/**
 * Sends one digest at most once, as deliver sends one delivery: the digest row locked, checked to
 * be `pending`, one message listing its notifications sent on its channel (to each of the user's
 * addresses there, under the digest's id as Message-ID / push Topic) and the digest and every
 * delivery it carries marked in the same transaction. A failed send is retried by BullMQ; the last
 * attempt marks them `failed`. A digest whose notifications were all deleted, or whose user has
 * no address left on the channel, is dropped (its deliveries `skipped`/`no_address`).
 */
export async function deliverDigest({ ctx, input }: { ctx: Ctx; input: { digestId: string; lastAttempt: boolean } }) {
  const { db, clock, channels, config } = ctx.deps;
  let channelName: SendChannel | undefined;
  const outcome = await db.transaction(async (tx): Promise<SendOutcome> => {
    const [digest] = await tx.select().from(digests).where(eq(digests.id, input.digestId)).for("update");
    if (!digest) return { status: "gone" };
    const channel = channels[digest.channel as SendChannel];
    if (digest.status !== "pending" || !channel) return { status: "already_done" };
    channelName = channel.name;
    // Its items and the recipient read together (pipelined in the transaction: one round trip).
    const [items, recipient] = await Promise.all([
      tx
        .select({
          address: deliveries.address,
          type: notifications.type,
          title: notifications.title,
          body: notifications.body,
          link: notifications.link,
          dueAt: deliveries.dueAt,
        })
        .from(deliveries)
        .innerJoin(notifications, eq(notifications.id, deliveries.notificationId))
        .where(eq(deliveries.digestId, digest.id))
        .orderBy(asc(notifications.id)),
      recipientOf(ctx, digest.userId, tx),
    ]);
    const addresses = items.length === 0 ? [] : await channel.addressesOf(tx, { userId: digest.userId, stored: recipient.email ?? items[0]?.address ?? null });
    if (addresses.length === 0) {
      await tx.update(deliveries).set({ status: "skipped", reason: "no_address" }).where(eq(deliveries.digestId, digest.id));
      await tx.delete(digests).where(eq(digests.id, digest.id));
      return { status: "skipped" };
    }
    // Its link turns off email for each category the digest carried (none is critical: critical mail is never held).
    const optional = new Set(items.map((item) => typeNamed(item.type)).flatMap((type) => (type.critical ? [] : [type.category])));
    const rendered = withUnsubscribe(config, renderDigest(recipient.locale, items, config.links.inbox), { userId: digest.userId, categories: [...optional] });
    const settled = await sendToAddresses(tx, channel, addresses, { rendered, key: digest.id, notificationId: null }, input.lastAttempt);
    const attempts = digest.attempts + 1;
    const mark = async (status: "pending" | "sent" | "failed", changes: Partial<typeof deliveries.$inferInsert>) => {
      const sentAt = status === "sent" ? clock() : null;
      const messageId = settled.status === "sent" ? settled.messageId : null;
      await tx.update(digests).set({ attempts, status, sentAt, messageId }).where(eq(digests.id, digest.id));
      if (status !== "pending")
        await tx
          .update(deliveries)
          .set({ ...changes, sentAt, messageId })
          .where(eq(deliveries.digestId, digest.id));
    };
    if (settled.status === "sent") {
      await mark("sent", { status: "sent", dueAt: null });
      // From the digest time (its items' due time; the digest's creation if none is recorded).
      const due = Math.max(...items.map((item) => item.dueAt?.getTime() ?? digest.createdAt.getTime()));
      ctx.deps.deliveryLatency.observe({ channel: `${channel.name}_digest` }, Math.max(0, clock().getTime() - due) / 1000);
    }
    if (settled.status === "retry") await mark("pending", {});
    if (settled.status === "failed") await mark("failed", { status: "failed", reason: settled.reason });
    return settled;
  });
  if (channelName) countAndThrow(ctx, `${channelName}_digest`, outcome);
  return { status: outcome.status };
}
