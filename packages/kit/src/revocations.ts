import { createStopSignal, type EventBus, parseEnvelope } from "@lodge/events";
import type { Redis } from "ioredis";
import type { Logger } from "pino";

export type RevocationList = {
  isRevoked: (sessionId: string) => boolean;
  /**
   * Whether the list alone can judge a user token issued at `issuedAt` (seconds): not while the
   * watch is behind (its connection failed, or its read is overdue by more than the allowed lag),
   * and, for a while after it has caught up again, not for tokens issued before that moment.
   */
  vouchesFor: (issuedAt: number) => boolean;
  /** Calls `listener` with the session ids of every revocation the watch reads from now on (to close what those sessions hold open: sockets); returns the unsubscribe. */
  onRevoked: (listener: (sessionIds: string[]) => void) => () => void;
  stop: () => Promise<void>;
};

export type RevocationWatchOptions = {
  bus: EventBus;
  /** The client whose connection settings the watch copies for its own blocking reads. */
  redis: Redis;
  logger: Logger;
  /** Access-token lifetime: revocations older than this (plus a minute) are of no use. */
  ttlSeconds: number;
  /** How far behind the watch may fall, and how long older tokens wait after a gap (see vouchesFor). */
  maxLagMs?: number;
  /** How long one read waits for new entries before it returns empty. */
  blockMs?: number;
  /** Wall time, compared with tokens' `iat`. */
  clock?: () => Date;
  /** Monotonic milliseconds, for how long a read has been out and how long a settling lasts. */
  elapsed?: () => number;
};

const BATCH = 500;

/**
 * Every instance keeps the sessions revoked in the last access-token lifetime in memory, fed by
 * the `auth.session_revoked` stream as it is written: a revoked session's access tokens stop
 * working everywhere within a second, with no network call per request.
 *
 * The list is only as good as the watch that feeds it, so the watch tracks when it was last
 * known complete (a read that drained the stream). While Redis is unreachable or the read is
 * overdue, the list cannot vouch for any user token. Once it has caught up again it still cannot
 * vouch, for `maxLagMs`, for tokens issued before then: revocations made during the gap may still
 * be on their way from their service's outbox, which publishes them only once Redis is back.
 * `ready` resolves on the first catch-up; `caughtUp()` says whether the watch is behind now (for a gauge).
 */
export function watchRevokedSessions(options: RevocationWatchOptions): RevocationList & { ready: Promise<void>; caughtUp: () => boolean } {
  const { bus, logger } = options;
  const keepMs = (options.ttlSeconds + 60) * 1000;
  const maxLagMs = options.maxLagMs ?? 5000;
  const blockMs = options.blockMs ?? 2000;
  const clock = options.clock ?? (() => new Date());
  const elapsed = options.elapsed ?? (() => performance.now());
  const key = bus.streamKey("auth.session_revoked");
  // A connection of its own for the blocking reads: one silent for longer than a read may block,
  // plus the allowed lag, is dead, and is dropped and reopened (socketTimeout).
  const connection = options.redis.duplicate({ enableOfflineQueue: false, socketTimeout: blockMs + maxLagMs, commandTimeout: undefined });
  connection.on("error", () => {});
  const revoked = new Map<string, number>();
  const listeners = new Set<(sessionIds: string[]) => void>();
  let lastId = `${Date.now() - keepMs}-0`;
  let running = true;
  /** When the list was last known complete (elapsed ms); undefined before the first catch-up and after a failed read. */
  let completeAt: number | undefined;
  /** After a gap: tokens issued before `since` (wall ms) are not vouched for until `until` (elapsed ms). */
  let settling: { since: number; until: number } | undefined;
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const interrupted = (error?: unknown) => {
    if (completeAt !== undefined) logger.warn({ err: error }, "revoked-session watch interrupted: user tokens are checked otherwise until it catches up");
    completeAt = undefined;
  };
  // A dropped connection is known at once: ioredis keeps the read pending to resend it after reconnecting.
  connection.on("close", () => {
    if (running) interrupted();
  });
  const stopped = createStopSignal();

  const behind = () => completeAt === undefined || elapsed() - completeAt > blockMs + maxLagMs;

  const notify = (listener: (sessionIds: string[]) => void, sessionIds: string[]) => {
    try {
      listener(sessionIds);
    } catch (error) {
      logger.error({ err: error }, "revoked-session listener failed");
    }
  };

  const apply = (entries: [string, string[]][]) => {
    for (const [id, fields] of entries) {
      lastId = id;
      try {
        const event = parseEnvelope(JSON.parse(fields[fields.indexOf("event") + 1] ?? ""));
        if (event.type !== "auth.session_revoked") continue;
        const forgetAt = Date.parse(event.occurredAt) + keepMs;
        for (const sessionId of event.data.sessionIds) revoked.set(sessionId, forgetAt);
        for (const listener of listeners) notify(listener, event.data.sessionIds);
      } catch (error) {
        logger.warn({ err: error, id, key }, "skipping unreadable revocation");
      }
    }
  };

  const loop = async () => {
    let caughtUpOnce = false;
    // The first read after a start or a failure does not block, so catching up (and so boot) takes
    // a round trip, not a whole block time on a quiet stream.
    let block = false;
    while (running) {
      try {
        const read = (
          block ? connection.xread("COUNT", BATCH, "BLOCK", blockMs, "STREAMS", key, lastId) : connection.xread("COUNT", BATCH, "STREAMS", key, lastId)
        ) as Promise<[string, [string, string[]][]][] | null>;
        // A read queued for a reconnection that never comes must not hold up stop().
        const result = await stopped.until(read, () => null);
        if (!running) break;
        const entries = result?.[0]?.[1] ?? [];
        apply(entries);
        if (entries.length < BATCH) {
          // Drained: every revocation written before this reply is in the list.
          if (caughtUpOnce && behind()) {
            settling = { since: clock().getTime(), until: elapsed() + maxLagMs };
            logger.info("revoked-session watch caught up");
          }
          completeAt = elapsed();
          caughtUpOnce = true;
          markReady();
        }
        block = true;
      } catch (error) {
        if (!running) break;
        block = false;
        interrupted(error);
        await Bun.sleep(250);
      }
    }
  };
  const done = loop();

  const prune = setInterval(() => {
    const now = Date.now();
    for (const [sessionId, forgetAt] of revoked) if (forgetAt < now) revoked.delete(sessionId);
  }, 60_000);
  prune.unref();

  return {
    ready,
    caughtUp: () => !behind(),
    isRevoked: (sessionId) => revoked.has(sessionId),
    vouchesFor: (issuedAt) => {
      if (behind()) return false;
      if (settling && elapsed() < settling.until) return issuedAt * 1000 >= settling.since;
      return true;
    },
    onRevoked: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: async () => {
      running = false;
      listeners.clear();
      stopped.fire();
      clearInterval(prune);
      connection.disconnect();
      await done;
    },
  };
}
