import type { WSEvents } from "hono/ws";
import type { Ctx, NotificationDeps } from "../deps";
import { notificationView } from "../helpers/views";
import { countUnread } from "../services/count-unread";
import { missedNotifications } from "../services/missed-notifications";
import { CLOSE, type Connection } from "./hub";
import { parseClientMessage } from "./messages";

/** Most notifications one resume replays; a client that missed more is told to refetch. */
export const REPLAY_LIMIT = 100;

/**
 * One realtime socket of `holder` (a redeemed ticket's user and session): joins the hub on open
 * (or is closed with 1008 over the per-user cap), answers `resume` with what the client missed,
 * and closes on anything else a client sends (4400), or on too many messages (4429). It keeps
 * nothing of the request that opened it (a request's Ctx holds the whole request, for as long as
 * the socket lives): its Ctx is the service's deps and logger.
 */
export function realtimeSocket(deps: NotificationDeps, holder: { userId: string; sessionId: string }): WSEvents<Bun.ServerWebSocket<unknown>> {
  const { realtime, clock, config } = deps;
  const ctx: Ctx = { deps, logger: deps.logger };
  let connection: Connection | undefined;

  const resume = async (current: Connection, after: string | undefined) => {
    await current.subscribed;
    if (after) {
      const missed = await missedNotifications({ ctx, input: { userId: holder.userId, after, limit: REPLAY_LIMIT } });
      for (const row of missed.rows) realtime.send(current, { type: "notification.created", notification: notificationView(row) });
      if (missed.more) realtime.send(current, { type: "refetch", reason: "too_many_missed" });
    }
    realtime.send(current, { type: "unread_count", count: await countUnread({ ctx, input: { userId: holder.userId } }) });
  };

  /** Counts a client message in the current window; false once there are too many. */
  const withinRate = (current: Connection) => {
    const now = clock().getTime();
    if (now - current.flood.windowStart >= config.realtime.flood.windowMs) current.flood = { windowStart: now, count: 0 };
    current.flood.count += 1;
    return current.flood.count <= config.realtime.flood.max;
  };

  return {
    onOpen: (_event, ws) => {
      const socket = ws.raw as Bun.ServerWebSocket<unknown>;
      connection = realtime.add(socket, holder, clock().getTime());
      if (!connection) ws.close(CLOSE.tooManyConnections, "too many connections");
    },
    onMessage: (event, ws) => {
      const current = connection;
      if (!current) return;
      if (!withinRate(current)) return ws.close(CLOSE.flooding, "too many messages");
      const message = typeof event.data === "string" ? parseClientMessage(event.data) : undefined;
      if (!message) return ws.close(CLOSE.badMessage, "unknown message");
      resume(current, message.after).catch((error) => {
        ctx.logger.warn({ err: error }, "realtime resume failed");
        ws.close(CLOSE.tryAgain, "reconnect and resume");
      });
    },
    onClose: () => {
      if (connection) realtime.remove(connection);
    },
  };
}
