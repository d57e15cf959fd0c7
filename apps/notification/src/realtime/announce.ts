import type { Db } from "@lodge/db";
import { notifications, unreadCounts } from "@lodge/db/schema";
import { batched } from "@lodge/kit";
import { getTableColumns, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { amongIds } from "../helpers/id-list";
import { notificationView } from "../helpers/views";
import { countUnread } from "../services/count-unread";
import type { ServerMessage } from "./messages";

/** A notification as announced: its row and its owner's unread count. */
export type Created = typeof notifications.$inferSelect & { unread: number };

/**
 * Reads notifications just committed, each with its owner's unread count, in one statement, built
 * once for `db` (prepared).
 */
function createdReader(db: Db): (ids: string[]) => Promise<Created[]> {
  // Each owner's unread count read with the rows.
  const unread = sql<number>`coalesce((select counted.unread from ${unreadCounts} as counted where counted.user_id = notifications.user_id), 0)`;
  const read = db
    .select({ ...getTableColumns(notifications), unread })
    .from(notifications)
    .where(amongIds(notifications.id, sql.placeholder("ids")))
    .prepare("notification_created");
  return (ids) => read.execute({ ids: JSON.stringify([...new Set(ids)]) });
}

/** `rows` (read for many callers) as each caller's `ids` list asked, in its order; one that is gone left out. */
function createdFor(rows: Created[], idLists: string[][]): Created[][] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return idLists.map((ids) => ids.flatMap((id) => byId.get(id) ?? []));
}

/**
 * Notifications just committed with their owners' unread counts, read for concurrent callers in
 * one statement (see `batched`). Built once at boot into deps (`createdNotifications`).
 */
export function batchedCreatedReads(db: Db) {
  const readCreated = createdReader(db);
  return batched(async (idLists: string[][]) => createdFor(await readCreated(idLists.flat()), idLists), {
    maxBatch: 2000,
    sizeOf: (ids) => ids.length,
  });
}

/**
 * Tells their owners' open sockets, on every instance, of notifications just committed (one user's,
 * or a send's thousand), then each owner's unread count. A notification already announced (a
 * redelivered event finds it stored) is announced again: clients keep ids and drop repeats.
 * Returns the rows (what a caller returning the notification needs, read once): `read` when the
 * write read them after its commit (a batched send's), otherwise read here.
 */
export async function announceCreated(ctx: Ctx, notificationIds: string[], read?: Created[]): Promise<(typeof notifications.$inferSelect)[]> {
  if (notificationIds.length === 0) return [];
  const { createdNotifications, realtime } = ctx.deps;
  const rows = read ?? (await createdNotifications(notificationIds));
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
