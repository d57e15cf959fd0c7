import { files } from "@lodge/db/schema";
import { and, desc, eq, lt } from "drizzle-orm";
import type { Ctx } from "../deps";

/** The user's files, newest first, `limit` at a time; `cursor` is the last id of the previous page. */
export async function listFiles({ ctx, input }: { ctx: Ctx; input: { ownerId: string; cursor?: string; limit: number } }) {
  const rows = await ctx.deps.db
    .select()
    .from(files)
    .where(input.cursor ? and(eq(files.ownerId, input.ownerId), lt(files.id, input.cursor)) : eq(files.ownerId, input.ownerId))
    .orderBy(desc(files.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { rows: page, nextCursor: rows.length > input.limit ? (page[page.length - 1]?.id ?? null) : null };
}
