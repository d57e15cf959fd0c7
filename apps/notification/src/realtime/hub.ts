import { batched, Gauge, type Logger, type Metrics, type Redis, type RevocationList } from "@lodge/kit";
import type { ServerMessage } from "./messages";

/** One open socket: whose it is, and Bun's socket under it. */
export type Connection = {
  userId: string;
  sessionId: string;
  socket: Bun.ServerWebSocket<unknown>;
  /** Resolves once this instance receives the user's channel: a replay read after it misses nothing published since. */
  subscribed: Promise<void>;
  /** Client messages in the current flood window (see RealtimeSettings.flood). */
  flood: { windowStart: number; count: number };
};

export type RealtimeSettings = {
  /** Sockets one user may hold open on one instance. */
  maxPerUser: number;
  /** Unsent bytes a socket may hold: past it the client is too slow and is closed (CLOSE.slowConsumer). */
  maxBufferedBytes: number;
};

/** Close codes the service uses (1009, a message over the size limit, is Bun's). Documented in the README. */
export const CLOSE = {
  goingAway: 1001,
  tooManyConnections: 1008,
  tryAgain: 1013,
  badMessage: 4400,
  sessionRevoked: 4401,
  slowConsumer: 4408,
  flooding: 4429,
} as const;

export type RealtimeHub = ReturnType<typeof createRealtimeHub>;

/**
 * The sockets open on this instance, and their fan-out across instances: every message for a user
 * is published on the user's Redis channel (`<prefix>notification:realtime:<userId>`), and each
 * instance subscribes, on one connection of its own, to the channels of the users it holds sockets
 * of. A revoked session's sockets are closed as the revocation watch reads it.
 */
export function createRealtimeHub(options: {
  redis: Redis;
  prefix: string;
  logger: Logger;
  metrics: Metrics;
  revocations?: RevocationList;
  settings: RealtimeSettings;
}) {
  const { redis, logger, settings } = options;
  // A user's channel carries a publish's messages for them as one Redis message, a line each.
  // Channels of the version before carried one message each (no line break): they are still
  // listened to, so during a rollout what an instance of that version publishes reaches these
  // sockets; it listens only to those, so it never forwards lines as one text (what it misses, its
  // clients replay when they reconnect to a new instance). Drop the old channels the release after.
  const channelPrefix = `${options.prefix}notification:live:`;
  const oldChannelPrefix = `${options.prefix}notification:realtime:`;
  const channelOf = (userId: string) => `${channelPrefix}${userId}`;
  const channelsOf = (userId: string) => [channelOf(userId), `${oldChannelPrefix}${userId}`];
  const userOf = (channel: string) => channel.slice((channel.startsWith(channelPrefix) ? channelPrefix : oldChannelPrefix).length);
  // Named (with the deployment's prefix) so an operator, or a test, can find it in CLIENT LIST. A
  // SUBSCRIBE sent while it reconnects waits for the connection (one retry) instead of failing at once.
  const subscriber = redis.duplicate({ commandTimeout: undefined, enableOfflineQueue: true, connectionName: `${options.prefix}notification-realtime` });
  subscriber.on("error", (error) => logger.warn({ err: error }, "realtime subscriber connection error"));
  let closing = false;
  const users = new Map<string, Set<Connection>>();
  /** Each user's SUBSCRIBE, so the sockets that join while it is on its way wait for the same one. */
  const subscriptions = new Map<string, Promise<void>>();
  const open = new Gauge({ name: "notification_websockets_open", help: "Realtime WebSockets open on this instance", registers: [options.metrics.registry] });

  /** Sends messages in one write (corked); a client that lets more than maxBufferedBytes pile up is closed, not buffered for. */
  const send = (connection: Connection, ...texts: string[]) => {
    const { socket } = connection;
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.cork(() => {
      for (const text of texts) socket.send(text);
    });
    if (socket.getBufferedAmount() > settings.maxBufferedBytes) socket.close(CLOSE.slowConsumer, "slow consumer");
  };

  // The messages read from the subscriber in one turn (a notification and its unread count arrive
  // together), gathered per socket and sent at the end of the turn in one write each.
  const arrived = new Map<Connection, string[]>();
  const sendArrived = () => {
    for (const [connection, texts] of arrived) send(connection, ...texts);
    arrived.clear();
  };
  subscriber.on("message", (channel: string, published: string) => {
    const connections = users.get(userOf(channel));
    if (!connections) return;
    // One Redis message carries a user's messages of one publish, a line each (see publishTogether).
    const texts = published.split("\n");
    for (const connection of connections) {
      if (arrived.size === 0) queueMicrotask(sendArrived);
      const waiting = arrived.get(connection);
      if (waiting) waiting.push(...texts);
      else arrived.set(connection, [...texts]);
    }
  });

  const closeEvery = (code: number, reason: string) => {
    for (const connections of users.values()) for (const connection of connections) connection.socket.close(code, reason);
  };
  // Messages published while the subscriber is disconnected never reach it: its sockets are closed
  // (1013), and their clients reconnect and resume, which replays what they missed from Postgres.
  subscriber.on("close", () => {
    if (closing) return;
    logger.warn("realtime subscriber disconnected: closing the sockets so their clients resume");
    closeEvery(CLOSE.tryAgain, "reconnect and resume");
  });

  const unsubscribeRevocations = options.revocations?.onRevoked((sessionIds) => {
    const revoked = new Set(sessionIds);
    for (const connections of users.values()) {
      for (const connection of connections) if (revoked.has(connection.sessionId)) connection.socket.close(CLOSE.sessionRevoked, "session revoked");
    }
  });

  type Messages = readonly (readonly [userId: string, message: ServerMessage])[];
  /**
   * Concurrent callers' messages, in the order they were asked, in one pipeline (one round trip, one
   * socket write). A caller's messages for one user go as one Redis message, a line each (JSON
   * text has no raw line break): a notification and its unread count are one PUBLISH, not two.
   */
  const publishTogether = batched(
    async (batches: Messages[]) => {
      const pipeline = redis.pipeline();
      for (const messages of batches) {
        const byUser = new Map<string, string[]>();
        for (const [userId, message] of messages) {
          const texts = byUser.get(userId);
          if (texts) texts.push(JSON.stringify(message));
          else byUser.set(userId, [JSON.stringify(message)]);
        }
        for (const [userId, texts] of byUser) pipeline.publish(channelOf(userId), texts.join("\n"));
      }
      try {
        await pipeline.exec();
      } catch (error) {
        logger.warn({ err: error, messages: pipeline.length }, "realtime publish failed");
      }
      return batches.map(() => undefined);
    },
    { maxBatch: 4000, sizeOf: (messages) => messages.length },
  );

  /**
   * Sends each message to every socket of its user, on every instance, in one round trip (shared
   * with concurrent callers'): a user's messages in the order given. Never throws: the inbox has
   * what matters, and a reconnect replays what a socket missed.
   */
  const publishAll = async (messages: Messages) => {
    if (messages.length > 0) await publishTogether(messages);
  };

  return {
    /** Takes a socket in; false when its user already holds maxPerUser here (the caller closes it). */
    add(socket: Bun.ServerWebSocket<unknown>, principal: { userId: string; sessionId: string }, now: number): Connection | undefined {
      const connections = users.get(principal.userId) ?? new Set<Connection>();
      if (connections.size >= settings.maxPerUser) return undefined;
      users.set(principal.userId, connections);
      let subscribed = subscriptions.get(principal.userId);
      if (!subscribed) {
        const subscribing = subscriber.subscribe(...channelsOf(principal.userId)).then(() => {});
        subscribing.catch((error) => {
          logger.warn({ err: error }, "realtime subscribe failed");
          // The next socket of the user tries again.
          if (subscriptions.get(principal.userId) === subscribing) subscriptions.delete(principal.userId);
        });
        subscriptions.set(principal.userId, subscribing);
        subscribed = subscribing;
      }
      const connection: Connection = { ...principal, socket, subscribed, flood: { windowStart: now, count: 0 } };
      connections.add(connection);
      open.inc();
      return connection;
    },

    remove(connection: Connection) {
      const connections = users.get(connection.userId);
      if (!connections?.delete(connection)) return;
      open.dec();
      if (connections.size > 0) return;
      users.delete(connection.userId);
      subscriptions.delete(connection.userId);
      subscriber.unsubscribe(...channelsOf(connection.userId)).catch((error) => logger.warn({ err: error }, "realtime unsubscribe failed"));
    },

    send: (connection: Connection, message: ServerMessage) => send(connection, JSON.stringify(message)),

    publishAll,

    /** One message to every socket of the user, on every instance (see publishAll). */
    publish: (userId: string, message: ServerMessage) => publishAll([[userId, message]]),

    /** Closes every socket (1001: the client reconnects, to another instance) and the subscriber. */
    close() {
      closing = true;
      unsubscribeRevocations?.();
      closeEvery(CLOSE.goingAway, "server shutting down");
      subscriber.disconnect();
    },
  };
}
