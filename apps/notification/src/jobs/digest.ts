import { createQueue, type JobsConnection } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { DigestJob, NotificationDeps } from "../deps";
import { isLastAttempt, sendJobOptions, sendOrDelay } from "../helpers/send-jobs";
import { deliverDigest } from "../services/deliver-digest";

/** One job per digest. */
export function createDigestQueue(connection: JobsConnection) {
  return createQueue<DigestJob>("notification-digest", connection, { defaultJobOptions: sendJobOptions });
}

export const digestJob = (deps: NotificationDeps): JobDefinition<NotificationDeps, DigestJob> => ({
  queue: deps.digestQueue,
  concurrency: deps.config.emailConcurrency,
  stalledAfterMs: deps.config.stalledAfterMs,
  process: (job, ctx) => sendOrDelay(job, () => deliverDigest({ ctx, input: { digestId: job.data.digestId, lastAttempt: isLastAttempt(job) } })),
});
