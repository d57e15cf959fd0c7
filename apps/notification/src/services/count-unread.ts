import { notifications } from "@lodge/db/schema";
import { and, count, eq, isNull } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Unread notifications in the user's inbox (archived ones not counted). */
export async function countUnread({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const [row] = await ctx.deps.db
    .select({ count: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, input.userId), isNull(notifications.readAt), isNull(notifications.archivedAt)));
  return row?.count ?? 0;
}
