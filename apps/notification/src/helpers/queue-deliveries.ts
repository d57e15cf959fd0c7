import { deliveries } from "@lodge/db/schema";
import { and, eq, inArray } from "drizzle-orm";
import type { SendChannel } from "../catalog/index";
import type { Ctx } from "../deps";

/** A delivery to queue: its id (the job's id too) and the channel whose queue sends it. */
export type PendingDelivery = { id: string; channel: string };

/**
 * Queues pending deliveries, one job per delivery id on its channel's queue (one round trip per
 * queue): queueing one already queued (waiting, delayed for a retry, running) changes nothing, and
 * a job that finds its delivery no longer pending sends nothing, so this is safe to repeat (the
 * sweep does, for what a crash left unqueued).
 */
export async function queueDeliveries(ctx: Ctx, pending: PendingDelivery[]) {
  const { deliveryQueues } = ctx.deps;
  const byChannel = Map.groupBy(pending, (delivery) => delivery.channel);
  await Promise.all(
    [...byChannel].map(([channel, group]) =>
      deliveryQueues[channel as SendChannel]?.addBulk(
        group.map((delivery) => ({ name: "send", data: { deliveryId: delivery.id, requestId: ctx.requestId }, opts: { jobId: delivery.id } })),
      ),
    ),
  );
}

/** The deliveries of these notifications still pending. */
export function pendingOf(reader: Pick<Ctx["deps"]["db"], "select">, notificationIds: string[]): Promise<PendingDelivery[]> {
  return reader
    .select({ id: deliveries.id, channel: deliveries.channel })
    .from(deliveries)
    .where(and(inArray(deliveries.notificationId, notificationIds), eq(deliveries.status, "pending")));
}

/** Queues every delivery of these notifications still pending (a replayed send, a job retried after its commit). */
export async function queuePendingOf(ctx: Ctx, notificationIds: string[]) {
  if (notificationIds.length === 0) return;
  await queueDeliveries(ctx, await pendingOf(ctx.deps.db, notificationIds));
}
