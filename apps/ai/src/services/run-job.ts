import { jobs } from "@lodge/db/schema";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { storeGeneratedImages } from "../helpers/generated-images";
import { isRetryable, type JobError, jobErrorOf } from "../helpers/job-failures";
import type { Json } from "../providers/types";

type Input = { jobId: string; lastAttempt: boolean };
type JobRow = typeof jobs.$inferSelect;

/**
 * One attempt at a job: taken (queued → running) only while the row says it is not over, so a job
 * re-run after a crash never runs a finished one again, and the job of a user whose data was
 * erased (the row is gone) does nothing. The request runs through the gateway's call path with the
 * caller's limits; image answers are stored as the user's files. The outcome and its
 * `ai.job_completed` are written in one transaction. A retryable failure before the last attempt
 * puts the job back to queued and throws, so BullMQ tries again after its backoff.
 */
export async function runJob({ ctx, input }: { ctx: Ctx; input: Input }): Promise<{ status: JobRow["status"] | "skipped" }> {
  const { db, clock } = ctx.deps;
  const [job] = await db
    .update(jobs)
    .set({ status: "running", startedAt: sql`coalesce(${jobs.startedAt}, ${clock().toISOString()}::timestamptz)`, attempts: sql`${jobs.attempts} + 1` })
    .where(and(eq(jobs.id, input.jobId), inArray(jobs.status, ["queued", "running"])))
    .returning();
  if (!job) return { status: "skipped" };

  const caller = { userId: job.userId, keyId: job.keyId, clientId: job.clientId, admin: false };
  let result: Json;
  try {
    const answer = await ctx.deps.runCall(ctx, caller, job.kind, job.request as Json);
    result = job.kind === "image" ? await storeGeneratedImages(ctx, { jobId: job.id, userId: job.userId, answer }) : answer;
  } catch (error) {
    const failure = jobErrorOf(error);
    if (failure.code === "INTERNAL") ctx.logger.error({ err: error, jobId: job.id }, "job failed");
    if (isRetryable(error) && !input.lastAttempt) {
      await db
        .update(jobs)
        .set({ status: "queued", error: failure })
        .where(and(eq(jobs.id, job.id), eq(jobs.status, "running")));
      throw error;
    }
    return finishJob(ctx, job, { status: "failed", result: null, error: failure });
  }
  return finishJob(ctx, job, { status: "succeeded", result, error: null });
}

/** Records the outcome and publishes it, unless the row is gone or no longer running (then nothing is told). */
async function finishJob(ctx: Ctx, job: JobRow, outcome: { status: "succeeded" | "failed"; result: Json | null; error: JobError | null }) {
  const { outbox, clock } = ctx.deps;
  const finishedAt = clock();
  await outbox.transaction(async (tx) => {
    const [finished] = await tx
      .update(jobs)
      .set({ ...outcome, finishedAt })
      .where(and(eq(jobs.id, job.id), eq(jobs.status, "running")))
      .returning({ id: jobs.id });
    if (!finished) return;
    const durationMs = Math.max(0, finishedAt.getTime() - job.createdAt.getTime());
    await outbox.enqueue(tx, "ai.job_completed", { userId: job.userId, jobId: job.id, kind: job.kind, status: outcome.status, durationMs }, ctx.requestId);
  });
  return { status: outcome.status };
}
