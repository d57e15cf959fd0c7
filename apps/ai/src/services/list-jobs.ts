import { jobs } from "@lodge/db/schema";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Ctx } from "../deps";

type Input = { userId: string; cursor?: string; limit: number };

/** The user's jobs, newest first, `limit` at a time; `cursor` is the last id of the previous page. */
export async function listJobs({ ctx, input }: { ctx: Ctx; input: Input }) {
  const conditions: SQL[] = [eq(jobs.userId, input.userId)];
  if (input.cursor) conditions.push(lt(jobs.id, input.cursor));
  const rows = await ctx.deps.db
    .select()
    .from(jobs)
    .where(and(...conditions))
    .orderBy(desc(jobs.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { rows: page, nextCursor: rows.length > input.limit ? (page[page.length - 1]?.id ?? null) : null };
}
