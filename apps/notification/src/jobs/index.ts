import { createQueue, DelayedError, defaultJobOptions, type JobsConnection } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import { channels as allChannels, type SendChannel } from "../catalog/index";
import type { DeliveryJob, NotificationDeps } from "../deps";
import { deliver, RetryLater } from "../services/deliver";

export const sendChannels = allChannels.filter((channel): channel is SendChannel => channel !== "in_app");

/**
 * A queue per channel (`notification-email`, `notification-web_push`, ...), so that a slow or
 * rate-limited provider delays only its own deliveries; one job per delivery, retried for about
 * 20 minutes (5 s doubling, 8 attempts) before the delivery is `failed`.
 */
export function createDeliveryQueues(connection: JobsConnection) {
  const queue = (channel: SendChannel) =>
    createQueue<DeliveryJob>(`notification-${channel}`, connection, {
      defaultJobOptions: { ...defaultJobOptions, attempts: 8, backoff: { type: "exponential", delay: 5000 } },
    });
  return Object.fromEntries(sendChannels.map((channel) => [channel, queue(channel)])) as Record<SendChannel, ReturnType<typeof queue>>;
}

/** Delivers one job's delivery; a provider's "retry after" moves the job to that time instead of BullMQ's backoff (not counted as an attempt). */
export const deliveryJob = (deps: NotificationDeps, channel: SendChannel): JobDefinition<NotificationDeps, DeliveryJob> => ({
  queue: deps.deliveryQueues[channel],
  concurrency: channel === "email" ? deps.config.emailConcurrency : deps.config.pushConcurrency,
  stalledAfterMs: deps.config.stalledAfterMs,
  process: async (job, ctx) => {
    try {
      return await deliver({ ctx, input: { deliveryId: job.data.deliveryId, lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) } });
    } catch (error) {
      if (!(error instanceof RetryLater) || error.retryAfterMs === undefined || !job.token) throw error;
      // BullMQ's delays are Redis time, not the service's clock.
      await job.moveToDelayed(Date.now() + error.retryAfterMs, job.token);
      throw new DelayedError();
    }
  },
});

/** The workers the service runs (none with `jobs: false`: tests that drive deliveries by hand). */
export const jobs = (deps: NotificationDeps, options: { jobs?: boolean }) =>
  options.jobs === false ? [] : sendChannels.map((channel) => deliveryJob(deps, channel));
