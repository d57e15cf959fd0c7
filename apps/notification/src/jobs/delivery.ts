import { createQueue, type JobsConnection } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { SendChannel } from "../catalog/index";
import type { DeliveryJob, NotificationDeps } from "../deps";
import { isLastAttempt, sendJobOptions, sendOrDelay } from "../helpers/send-jobs";
import { deliver } from "../services/deliver";

/**
 * A channel's queue (`notification-email`, `notification-web_push`, ...): a queue per channel, so
 * that a slow or rate-limited provider delays only its own deliveries; one job per delivery.
 */
export function createDeliveryQueue(connection: JobsConnection, channel: SendChannel) {
  return createQueue<DeliveryJob>(`notification-${channel}`, connection, { defaultJobOptions: sendJobOptions });
}

/** Delivers one job's delivery on its channel. */
export const deliveryJob = (deps: NotificationDeps, channel: SendChannel): JobDefinition<NotificationDeps, DeliveryJob> => ({
  queue: deps.deliveryQueues[channel],
  concurrency: channel === "email" ? deps.config.emailConcurrency : deps.config.pushConcurrency,
  stalledAfterMs: deps.config.stalledAfterMs,
  process: (job, ctx) => sendOrDelay(job, () => deliver({ ctx, input: { deliveryId: job.data.deliveryId, lastAttempt: isLastAttempt(job) } })),
});
