import { createQueue, type JobsConnection } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { AiDeps } from "../deps";
import { runJob } from "../services/run-job";

/** A queued job names its row (`ai.jobs`): the row holds the request, and is the truth about the job's state. */
export type AiJobData = { jobId: string; requestId?: string };

/** The queue of async jobs; each BullMQ job's id is its row's id (so a cancelled job is removed by that id). */
export function createAiJobQueue(connection: JobsConnection) {
  return createQueue<AiJobData>("ai-jobs", connection);
}

/**
 * Runs async jobs, AI_JOB_CONCURRENCY at once per instance. BullMQ retries a job (with Lodge's
 * exponential backoff) only when runJob throws, which it does only for a retryable failure
 * before the last attempt; a job re-run after a crash skips a job its row says is over.
 */
export const aiJobJob = (deps: AiDeps): JobDefinition<AiDeps, AiJobData> => ({
  queue: deps.aiJobs,
  concurrency: deps.env.AI_JOB_CONCURRENCY,
  process: (job, ctx) => {
    const attempt = job.attemptsMade + 1;
    return runJob({ ctx, input: { jobId: job.data.jobId, lastAttempt: attempt >= (job.opts.attempts ?? 1) } });
  },
});
