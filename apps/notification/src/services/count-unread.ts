import { unreadCounts } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Unread notifications in the user's inbox (neither read nor archived), as the database keeps the count (see unreadCounts). */
export async function countUnread({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const [row] = await ctx.deps.db.select({ unread: unreadCounts.unread }).from(unreadCounts).where(eq(unreadCounts.userId, input.userId));
  return row?.unread ?? 0;
}
