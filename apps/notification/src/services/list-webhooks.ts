import { webhookEndpoints } from "@lodge/db/schema";
import { desc, lt } from "drizzle-orm";
import type { Ctx } from "../deps";

/** The registered endpoints, newest first, `limit` at a time; `cursor` is the last id of the previous page. */
export async function listWebhooks({ ctx, input }: { ctx: Ctx; input: { cursor?: string; limit: number } }) {
  const rows = await ctx.deps.db
    .select()
    .from(webhookEndpoints)
    .where(input.cursor ? lt(webhookEndpoints.id, input.cursor) : undefined)
    .orderBy(desc(webhookEndpoints.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { rows: page, nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
}
