import { createQueue, defaultJobOptions, type JobsConnection } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { DigestJob, EmailJob, NotificationDeps } from "../deps";
import { deliverDigest } from "../services/deliver-digest";
import { deliverEmail } from "../services/deliver-email";
import { releaseHeld } from "../services/release-held";
import { webhookJobs } from "./webhooks";

/** Retried for about 20 minutes (5 s doubling, 8 attempts) before the delivery is `failed`. */
const sendOptions = { ...defaultJobOptions, attempts: 8, backoff: { type: "exponential" as const, delay: 5000 } };

/** One job per email delivery. */
export function createEmailQueue(connection: JobsConnection) {
  return createQueue<EmailJob>("notification-email", connection, { defaultJobOptions: sendOptions });
}

/** One job per digest. */
export function createDigestQueue(connection: JobsConnection) {
  return createQueue<DigestJob>("notification-digest", connection, { defaultJobOptions: sendOptions });
}

/** Whether this run of a job is its last (its failure is then for good). */
const isLastAttempt = (job: { attemptsMade: number; opts: { attempts?: number } }) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

export const emailJob = (deps: NotificationDeps): JobDefinition<NotificationDeps, EmailJob> => ({
  queue: deps.emails,
  concurrency: deps.config.emailConcurrency,
  process: (job, ctx) => deliverEmail({ ctx, input: { deliveryId: job.data.deliveryId, lastAttempt: isLastAttempt(job) } }),
});

export const digestJob = (deps: NotificationDeps): JobDefinition<NotificationDeps, DigestJob> => ({
  queue: deps.digestQueue,
  concurrency: deps.config.emailConcurrency,
  process: (job, ctx) => deliverDigest({ ctx, input: { digestId: job.data.digestId, lastAttempt: isLastAttempt(job) } }),
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
  options.jobs === false ? [] : [emailJob(deps), digestJob(deps), sweepJob(deps), ...webhookJobs(deps)];
