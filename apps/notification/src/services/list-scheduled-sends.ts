import { scheduledSends } from "@lodge/db/schema";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Scheduled sends for admins, newest first, by status when asked; `nextCursor` continues the list. */
export async function listScheduledSends({ ctx, input }: { ctx: Ctx; input: { status?: "scheduled" | "sent" | "cancelled"; cursor?: string; limit: number } }) {
  const conditions: SQL[] = [];
  if (input.status) conditions.push(eq(scheduledSends.status, input.status));
  if (input.cursor) conditions.push(lt(scheduledSends.id, input.cursor));
  const rows = await ctx.deps.db
    .select()
    .from(scheduledSends)
    .where(and(...conditions))
    .orderBy(desc(scheduledSends.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { rows: page, nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
}
