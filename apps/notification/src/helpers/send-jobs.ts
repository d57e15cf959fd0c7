import { DelayedError, defaultJobOptions, type Job } from "@lodge/jobs";
import { RetryLater } from "./send-to-addresses";

/** Retried for about 20 minutes (5 s doubling, 8 attempts) before the delivery is `failed`. */
export const sendJobOptions = { ...defaultJobOptions, attempts: 8, backoff: { type: "exponential" as const, delay: 5000 } };

/** Whether this run of a job is its last (its failure is then for good). */
export const isLastAttempt = (job: { attemptsMade: number; opts: { attempts?: number } }) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/**
 * Runs a send; a provider's "retry after" moves the job to that time instead of BullMQ's backoff
 * (not counted as an attempt).
 */
export async function sendOrDelay(job: Job, send: () => Promise<unknown>) {
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof RetryLater) || error.retryAfterMs === undefined || !job.token) throw error;
    // BullMQ's delays are Redis time, not the service's clock.
    await job.moveToDelayed(Date.now() + error.retryAfterMs, job.token);
    throw new DelayedError();
  }
}
