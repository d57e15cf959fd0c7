import type { notifications } from "@lodge/db/schema";
import type { Ctx } from "../deps";
import { notificationView } from "../helpers/views";
import { countUnread } from "../services/count-unread";
import type { ServerMessage } from "./messages";

/** Tells the user's open sockets, on every instance, of a change already committed, then the new unread count. */
async function announce(ctx: Ctx, userId: string, message: ServerMessage) {
  const { realtime } = ctx.deps;
  await realtime.publish(userId, message);
  await realtime.publish(userId, { type: "unread_count", count: await countUnread({ ctx, input: { userId } }) });
}

export const announceCreated = (ctx: Ctx, row: typeof notifications.$inferSelect) =>
  announce(ctx, row.userId, { type: "notification.created", notification: notificationView(row) });

/** Read/archived state of `ids` changed (or they were deleted): every device of the user shows the same. */
export const announceUpdated = (ctx: Ctx, userId: string, change: Omit<Extract<ServerMessage, { type: "notification.updated" }>, "type">) =>
  announce(ctx, userId, { type: "notification.updated", ...change });
