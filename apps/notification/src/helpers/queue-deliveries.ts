import { deliveries } from "@lodge/db/schema";
import { and, eq, inArray } from "drizzle-orm";
import type { SendChannel } from "../catalog/index";
import type { Ctx } from "../deps";

/**
 * Queues pending deliveries, one job per delivery id on its channel's queue: queueing one already
 * queued (waiting, delayed for a retry, running) changes nothing, and a job that finds its delivery
 * no longer pending sends nothing, so this is safe to repeat (the sweep does, for what a crash left
 * unqueued).
 */
export async function queueDeliveries(ctx: Ctx, pending: { id: string; channel: string }[]) {
  const { deliveryQueues } = ctx.deps;
  for (const delivery of pending) {
    const queue = deliveryQueues[delivery.channel as SendChannel];
    if (queue) await queue.add("send", { deliveryId: delivery.id, requestId: ctx.requestId }, { jobId: delivery.id });
  }
}

/** Queues every delivery of these notifications still pending (what a send or a firing just made, once committed). */
export async function queuePendingOf(ctx: Ctx, notificationIds: string[]) {
  if (notificationIds.length === 0) return;
  const pending = await ctx.deps.db
    .select({ id: deliveries.id, channel: deliveries.channel })
    .from(deliveries)
    .where(and(inArray(deliveries.notificationId, notificationIds), eq(deliveries.status, "pending")));
  await queueDeliveries(ctx, pending);
}
