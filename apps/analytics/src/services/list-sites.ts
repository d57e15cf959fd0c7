import { sites } from "@lodge/db/schema";
import { desc, lt } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Every site, newest first, `limit` at a time (`cursor`: the last id of the previous page). */
export async function listSites({ ctx, input }: { ctx: Ctx; input: { cursor?: string; limit: number } }) {
  const rows = await ctx.deps.db
    .select()
    .from(sites)
    .where(input.cursor ? lt(sites.id, input.cursor) : undefined)
    .orderBy(desc(sites.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { rows: page, nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
}
