import type { Db } from "@lodge/db";
import { notifications } from "@lodge/db/schema";
import { batched } from "@lodge/kit";
import { getTableColumns, inArray, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { notificationView } from "../helpers/views";
import { countUnread } from "../services/count-unread";
import type { ServerMessage } from "./messages";

type Created = typeof notifications.$inferSelect & { unread: number };

/**
 * Notifications just committed with their owners' unread counts, read for concurrent callers in
 * one statement (see `batched`): each caller's in its own order, one that is gone left out.
 * Built once at boot into deps (`createdNotifications`).
 */
export function batchedCreatedReads(db: Db) {
  // Each owner's unread count read with the rows, in one statement.
  const unread = sql<number>`(select count(*)::int from ${notifications} as unread where unread.user_id = notifications.user_id and unread.read_at is null and unread.archived_at is null)`;
  return batched(
    async (idLists: string[][]) => {
      const rows = await db
        .select({ ...getTableColumns(notifications), unread })
        .from(notifications)
        .where(inArray(notifications.id, [...new Set(idLists.flat())]));
      const byId = new Map(rows.map((row) => [row.id, row]));
      return idLists.map((ids) => ids.flatMap((id) => byId.get(id) ?? []));
    },
    { maxBatch: 2000, sizeOf: (ids) => ids.length },
  );
}

/**
 * Tells their owners' open sockets, on every instance, of notifications just committed (one user's,
 * or a send's thousand), then each owner's unread count. A notification already announced (a
 * redelivered event finds it stored) is announced again: clients keep ids and drop repeats.
 * Returns the rows it read (what a caller returning the notification needs, read once).
 */
export async function announceCreated(ctx: Ctx, notificationIds: string[]): Promise<(typeof notifications.$inferSelect)[]> {
  if (notificationIds.length === 0) return [];
  const { createdNotifications, realtime } = ctx.deps;
  const rows: Created[] = await createdNotifications(notificationIds);
  const counts = new Map(rows.map((row) => [row.userId, row.unread]));
  const userIds = [...counts.keys()];
  await realtime.publishAll([
    ...rows.map((row) => [row.userId, { type: "notification.created", notification: notificationView(row) }] as const),
    ...userIds.map((userId) => [userId, { type: "unread_count", count: counts.get(userId) ?? 0 }] as const),
  ]);
  return rows.map(({ unread: _unread, ...row }) => row);
}

/** Read/archived state of `ids` changed (or they were deleted): every device of the user shows the same, then the new unread count. */
export async function announceUpdated(ctx: Ctx, userId: string, change: Omit<Extract<ServerMessage, { type: "notification.updated" }>, "type">) {
  const count = await countUnread({ ctx, input: { userId } });
  await ctx.deps.realtime.publishAll([
    [userId, { type: "notification.updated", ...change }],
    [userId, { type: "unread_count", count }],
  ]);
}
