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
