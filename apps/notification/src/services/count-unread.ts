import { notifications } from "@lodge/db/schema";
import { and, count, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { unreadOnly } from "../helpers/unread";

/** Unread notifications in the user's inbox (archived ones not counted). */
export async function countUnread({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const [row] = await ctx.deps.db
    .select({ count: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, input.userId), unreadOnly()));
  return row?.count ?? 0;
}
