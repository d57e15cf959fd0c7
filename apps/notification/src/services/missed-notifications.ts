import { notifications } from "@lodge/db/schema";
import { and, asc, eq, gt } from "drizzle-orm";
import type { Ctx } from "../deps";

/** The user's notifications created after `after` (ids are UUIDv7, so in time order), oldest first, at most `limit`; `more` when there are others beyond. */
export async function missedNotifications({ ctx, input }: { ctx: Ctx; input: { userId: string; after: string; limit: number } }) {
  const rows = await ctx.deps.db
    .select()
    .from(notifications)
    .where(and(eq(notifications.userId, input.userId), gt(notifications.id, input.after)))
    .orderBy(asc(notifications.id))
    .limit(input.limit + 1);
  return { rows: rows.slice(0, input.limit), more: rows.length > input.limit };
}
