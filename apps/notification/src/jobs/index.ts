import { createQueue, defaultJobOptions, type JobsConnection } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { EmailJob, NotificationDeps } from "../deps";
import { deliverEmail } from "../services/deliver-email";
import { triggerJob } from "./triggers";

/** One job per email delivery; retried for about 20 minutes (5 s doubling, 8 attempts) before the delivery is `failed`. */
export function createEmailQueue(connection: JobsConnection) {
  return createQueue<EmailJob>("notification-email", connection, {
    defaultJobOptions: { ...defaultJobOptions, attempts: 8, backoff: { type: "exponential", delay: 5000 } },
  });
}

export const emailJob = (deps: NotificationDeps): JobDefinition<NotificationDeps, EmailJob> => ({
  queue: deps.emails,
  concurrency: deps.config.emailConcurrency,
  process: (job, ctx) => deliverEmail({ ctx, input: { deliveryId: job.data.deliveryId, lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) } }),
});

/** The workers the service runs (none with `jobs: false`: tests that drive deliveries by hand). */
export const jobs = (deps: NotificationDeps, options: { jobs?: boolean }) => (options.jobs === false ? [] : [emailJob(deps), triggerJob(deps)]);
