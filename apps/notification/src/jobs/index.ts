import { createQueue, DelayedError, defaultJobOptions, type Job, type JobsConnection } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import { channels as allChannels, type SendChannel } from "../catalog/index";
import type { DeliveryJob, DigestJob, NotificationDeps } from "../deps";
import { RetryLater } from "../helpers/send-to-addresses";
import { deliver } from "../services/deliver";
import { deliverDigest } from "../services/deliver-digest";
import { releaseHeld } from "../services/release-held";
import { triggerJob } from "./triggers";
import { webhookJobs } from "./webhooks";

export const sendChannels = allChannels.filter((channel): channel is SendChannel => channel !== "in_app");

/** Retried for about 20 minutes (5 s doubling, 8 attempts) before the delivery is `failed`. */
const sendOptions = { ...defaultJobOptions, attempts: 8, backoff: { type: "exponential" as const, delay: 5000 } };

/**
 * A queue per channel (`notification-email`, `notification-web_push`, ...), so that a slow or
 * rate-limited provider delays only its own deliveries; one job per delivery.
 */
export function createDeliveryQueues(connection: JobsConnection) {
  const queue = (channel: SendChannel) => createQueue<DeliveryJob>(`notification-${channel}`, connection, { defaultJobOptions: sendOptions });
  return Object.fromEntries(sendChannels.map((channel) => [channel, queue(channel)])) as Record<SendChannel, ReturnType<typeof queue>>;
}

/** One job per digest. */
export function createDigestQueue(connection: JobsConnection) {
  return createQueue<DigestJob>("notification-digest", connection, { defaultJobOptions: sendOptions });
}

/** Whether this run of a job is its last (its failure is then for good). */
const isLastAttempt = (job: { attemptsMade: number; opts: { attempts?: number } }) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/**
 * Runs a send; a provider's "retry after" moves the job to that time instead of BullMQ's backoff
 * (not counted as an attempt).
 */
async function sendOrDelay(job: Job, send: () => Promise<unknown>) {
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof RetryLater) || error.retryAfterMs === undefined || !job.token) throw error;
    // BullMQ's delays are Redis time, not the service's clock.
    await job.moveToDelayed(Date.now() + error.retryAfterMs, job.token);
    throw new DelayedError();
  }
}

/** Delivers one job's delivery on its channel. */
export const deliveryJob = (deps: NotificationDeps, channel: SendChannel): JobDefinition<NotificationDeps, DeliveryJob> => ({
  queue: deps.deliveryQueues[channel],
  concurrency: channel === "email" ? deps.config.emailConcurrency : deps.config.pushConcurrency,
  stalledAfterMs: deps.config.stalledAfterMs,
  process: (job, ctx) => sendOrDelay(job, () => deliver({ ctx, input: { deliveryId: job.data.deliveryId, lastAttempt: isLastAttempt(job) } })),
});

export const digestJob = (deps: NotificationDeps): JobDefinition<NotificationDeps, DigestJob> => ({
  queue: deps.digestQueue,
  concurrency: deps.config.emailConcurrency,
  stalledAfterMs: deps.config.stalledAfterMs,
  process: (job, ctx) => sendOrDelay(job, () => deliverDigest({ ctx, input: { digestId: job.data.digestId, lastAttempt: isLastAttempt(job) } })),
});

/** The delivery sweep (see releaseHeld), every NOTIFICATION_SWEEP_EVERY_SECONDS, one run at a time. */
export const sweepJob = (deps: NotificationDeps): JobDefinition<NotificationDeps> => ({
  queue: createQueue("notification-sweep", deps.jobsConnection),
  every: { "release-held": deps.config.sweepEveryMs },
  concurrency: 1,
  process: async (_job, ctx) => {
    const swept = await releaseHeld({ ctx });
    if (swept.released > 0 || swept.gathered > 0) ctx.logger.info(swept, "held deliveries released");
    return swept;
  },
});

/** The workers the service runs (none with `jobs: false`: tests that drive deliveries by hand). */
export const jobs = (deps: NotificationDeps, options: { jobs?: boolean }) =>
  options.jobs === false
    ? []
    : [...sendChannels.map((channel) => deliveryJob(deps, channel)), digestJob(deps), sweepJob(deps), triggerJob(deps), ...webhookJobs(deps)];
