import { jobs } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import type { Caller } from "../helpers/calls";

/** A job, for its owner or an admin; anyone else is told it does not exist (404). */
export async function getJob({ ctx, input }: { ctx: Ctx; input: { caller: Caller; id: string } }) {
  const [job] = await ctx.deps.db.select().from(jobs).where(eq(jobs.id, input.id));
  if (!job || (job.userId !== input.caller.userId && !input.caller.admin)) throw new ApiError({ code: "NOT_FOUND", message: "No such job" });
  return job;
}
