import { apiKeys } from "@lodge/db/schema";
import { and, desc, eq, lt } from "drizzle-orm";
import type { Ctx } from "../deps";

/** API keys newest first, `limit` at a time (`cursor`: the last id of the previous page): one user's, or (admins) everyone's. */
export async function listApiKeys({ ctx, input }: { ctx: Ctx; input: { userId?: string; cursor?: string; limit: number } }) {
  const rows = await ctx.deps.db
    .select()
    .from(apiKeys)
    .where(and(input.userId ? eq(apiKeys.userId, input.userId) : undefined, input.cursor ? lt(apiKeys.id, input.cursor) : undefined))
    .orderBy(desc(apiKeys.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { rows: page, nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
}
