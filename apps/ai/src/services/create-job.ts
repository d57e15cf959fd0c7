import { jobs } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import type { Caller } from "../helpers/calls";
import type { Json } from "../providers/types";

type Input = { caller: Caller; kind: "chat" | "image"; request: Json };

/**
 * Accepts a job: its row (queued) first, then its BullMQ job named by the row's id, so a worker
 * never picks up a job whose row is not there yet. When the queue cannot take it (Redis down),
 * the row is removed again and the caller gets 503: nothing is left half-made.
 */
export async function createJob({ ctx, input }: { ctx: Ctx; input: Input }) {
  const { db, aiJobs, clock } = ctx.deps;
  const { caller } = input;
  const [job] = await db
    .insert(jobs)
    .values({
      userId: caller.userId,
      keyId: caller.keyId,
      clientId: caller.clientId,
      kind: input.kind,
      request: input.request,
      status: "queued",
      createdAt: clock(),
    })
    .returning();
  if (!job) throw new Error("insert returned no row");
  try {
    await aiJobs.add(job.kind, { jobId: job.id, requestId: ctx.requestId }, { jobId: job.id });
  } catch (error) {
    ctx.logger.warn({ err: error, jobId: job.id }, "the job queue refused a job");
    await db.delete(jobs).where(eq(jobs.id, job.id));
    throw new ApiError({ code: "UNAVAILABLE", message: "Jobs cannot be accepted right now, try again shortly", retryAfter: 5 });
  }
  return job;
}
