import { notifications } from "@lodge/db/schema";
import { and, count, inArray, isNull } from "drizzle-orm";
import type { Ctx } from "../deps";
import { notificationView } from "../helpers/views";
import { countUnread } from "../services/count-unread";
import type { ServerMessage } from "./messages";

/**
 * Tells their owners' open sockets, on every instance, of notifications just committed (one user's,
 * or a send's thousand), then each owner's unread count. A notification already announced (a
 * redelivered event finds it stored) is announced again: clients keep ids and drop repeats.
 */
export async function announceCreated(ctx: Ctx, notificationIds: string[]) {
  if (notificationIds.length === 0) return;
  const { db, realtime } = ctx.deps;
  const rows = await db.select().from(notifications).where(inArray(notifications.id, notificationIds));
  const userIds = [...new Set(rows.map((row) => row.userId))];
  const unread = await db
    .select({ userId: notifications.userId, count: count() })
    .from(notifications)
    .where(and(inArray(notifications.userId, userIds), isNull(notifications.readAt), isNull(notifications.archivedAt)))
    .groupBy(notifications.userId);
  const counts = new Map(unread.map((row) => [row.userId, row.count]));
  await realtime.publishAll([
    ...rows.map((row) => [row.userId, { type: "notification.created", notification: notificationView(row) }] as const),
    ...userIds.map((userId) => [userId, { type: "unread_count", count: counts.get(userId) ?? 0 }] as const),
  ]);
}

/** Read/archived state of `ids` changed (or they were deleted): every device of the user shows the same, then the new unread count. */
export async function announceUpdated(ctx: Ctx, userId: string, change: Omit<Extract<ServerMessage, { type: "notification.updated" }>, "type">) {
  const count = await countUnread({ ctx, input: { userId } });
  await ctx.deps.realtime.publishAll([
    [userId, { type: "notification.updated", ...change }],
    [userId, { type: "unread_count", count }],
  ]);
}
