import { notifications } from "@lodge/db/schema";
import { and, desc, eq, isNotNull, isNull, lt, type SQL } from "drizzle-orm";
import type { Ctx } from "../deps";

type Input = { userId: string; cursor?: string; limit: number; unread?: boolean; category?: string; archived: boolean };

/** The user's notifications, newest first, `limit` at a time; `cursor` is the last id of the previous page. Archived ones only when asked. */
export async function listNotifications({ ctx, input }: { ctx: Ctx; input: Input }) {
  const conditions: SQL[] = [eq(notifications.userId, input.userId), input.archived ? isNotNull(notifications.archivedAt) : isNull(notifications.archivedAt)];
  if (input.cursor) conditions.push(lt(notifications.id, input.cursor));
  if (input.unread !== undefined) conditions.push(input.unread ? isNull(notifications.readAt) : isNotNull(notifications.readAt));
  if (input.category) conditions.push(eq(notifications.category, input.category));
  const rows = await ctx.deps.db
    .select()
    .from(notifications)
    .where(and(...conditions))
    .orderBy(desc(notifications.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { rows: page, nextCursor: rows.length > input.limit ? (page[page.length - 1]?.id ?? null) : null };
}
