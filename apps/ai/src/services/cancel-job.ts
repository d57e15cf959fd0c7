import { jobs } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import type { Caller } from "../helpers/calls";
import { getJob } from "./get-job";

/**
 * Cancels a queued job (its owner's or, for an admin, anyone's): the row turns cancelled only if
 * it is still queued (a worker takes a job by the same condition, so exactly one of them wins),
 * with its `ai.job_completed`; then its BullMQ job is removed. A job already running or over: 409.
 */
export async function cancelJob({ ctx, input }: { ctx: Ctx; input: { caller: Caller; id: string } }) {
  const job = await getJob({ ctx, input });
  const { outbox, aiJobs, clock } = ctx.deps;
  const finishedAt = clock();
  const cancelled = await outbox.transaction(async (tx) => {
    const [row] = await tx
      .update(jobs)
      .set({ status: "cancelled", finishedAt })
      .where(and(eq(jobs.id, job.id), eq(jobs.status, "queued")))
      .returning();
    if (!row) return undefined;
    const durationMs = Math.max(0, finishedAt.getTime() - row.createdAt.getTime());
    await outbox.enqueue(tx, "ai.job_completed", { userId: row.userId, jobId: row.id, kind: row.kind, status: "cancelled", durationMs }, ctx.requestId);
    return row;
  });
  if (!cancelled)
    throw new ApiError({ code: "CONFLICT", message: `The job is ${job.status === "queued" ? "running" : job.status}: only a queued job can be cancelled` });
  // A job a worker holds cannot be removed; that worker finds the row cancelled and does nothing.
  await aiJobs
    .remove(job.id)
    .catch((error: unknown) => ctx.logger.warn({ err: error, jobId: job.id }, "a cancelled job stays in the queue (it will do nothing)"));
  return cancelled;
}
