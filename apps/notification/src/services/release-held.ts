import { deliveries, digests, notifications } from "@lodge/db/schema";
import { and, asc, eq, inArray, isNull, lte } from "drizzle-orm";
import type { Ctx } from "../deps";
import { queueDeliveries } from "../helpers/queue-deliveries";

/** How many pending deliveries and digests one sweep queues (the oldest first; the next sweep takes the rest). */
const SWEEP_BATCH = 500;

/**
 * The delivery sweep (every NOTIFICATION_SWEEP_EVERY_SECONDS, one instance at a time): deliveries
 * held for quiet hours that have ended become `pending`; deliveries held for a digest that is due
 * are gathered into one digest per user and channel; then everything pending is queued. Queueing
 * is idempotent (one job id per delivery or digest), so this also re-queues what a crash between a
 * commit and its queueing left behind: nothing acknowledged waits forever.
 */
export async function releaseHeld({ ctx }: { ctx: Ctx }) {
  const { db, clock, digestQueue } = ctx.deps;
  const now = clock();
  const released = await db
    .update(deliveries)
    // dueAt stays: when it fell due, what its delivery latency counts from.
    .set({ status: "pending", reason: null })
    .where(and(eq(deliveries.status, "held"), eq(deliveries.reason, "quiet_hours"), lte(deliveries.dueAt, now)))
    .returning({ id: deliveries.id });

  const dueDigest = and(eq(deliveries.status, "held"), eq(deliveries.reason, "digest"), isNull(deliveries.digestId), lte(deliveries.dueAt, now));
  const owners = await db
    .selectDistinct({ userId: notifications.userId, channel: deliveries.channel })
    .from(deliveries)
    .innerJoin(notifications, eq(notifications.id, deliveries.notificationId))
    .where(dueDigest);
  let gathered = 0;
  for (const owner of owners) {
    gathered += await db.transaction(async (tx) => {
      const [digest] = await tx.insert(digests).values({ userId: owner.userId, channel: owner.channel, status: "pending", createdAt: now }).returning();
      if (!digest) return 0;
      const theirs = tx.select({ id: notifications.id }).from(notifications).where(eq(notifications.userId, owner.userId));
      const collected = await tx
        .update(deliveries)
        .set({ digestId: digest.id })
        .where(and(dueDigest, eq(deliveries.channel, owner.channel), inArray(deliveries.notificationId, theirs)))
        .returning({ id: deliveries.id });
      // Another sweep took them first: no empty digest.
      if (collected.length === 0) await tx.delete(digests).where(eq(digests.id, digest.id));
      return collected.length;
    });
  }

  const pending = await db
    .select({ id: deliveries.id, channel: deliveries.channel })
    .from(deliveries)
    .where(eq(deliveries.status, "pending"))
    .orderBy(asc(deliveries.createdAt))
    .limit(SWEEP_BATCH);
  await queueDeliveries(ctx, pending);
  const pendingDigests = await db
    .select({ id: digests.id })
    .from(digests)
    .where(eq(digests.status, "pending"))
    .orderBy(asc(digests.createdAt))
    .limit(SWEEP_BATCH);
  // One round trip, as queueDeliveries queues deliveries; a job id per digest keeps it idempotent.
  await digestQueue.addBulk(
    pendingDigests.map((digest) => ({ name: "send", data: { digestId: digest.id, requestId: ctx.requestId }, opts: { jobId: digest.id } })),
  );
  return { released: released.length, gathered, queued: pending.length + pendingDigests.length };
}
