import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { type Envelope, type EventType, mustComplete, parseEnvelope } from "./catalog";
import { pairs } from "./dead-letters";
import { errorMessage, isPermanent, type RetryInfo, retryDelay } from "./retry";
import { createStopSignal } from "./stop-signal";

/** `logger` is the bus's child logger for this delivery (event id, type, group, requestId). */
export type Handler<T extends EventType> = (event: Envelope<T>, delivery: { logger: Logger }) => Promise<void> | void;
export type Handlers = { [T in EventType]?: Handler<T> };

export type SubscribeOptions = {
  /** One consumer group per service: each event is handled once per group. */
  group: string;
  handlers: Handlers;
  /**
   * Opt-in cap for best-effort consumers: deliveries before a failing event is dead-lettered.
   * Unset, a failing event is retried until it succeeds; the catalog's must-complete events
   * (the deletion saga) are never capped.
   */
  maxAttempts?: number;
  /** The first retry's delay; it doubles with each failure up to `maxRetryDelayMs` (with jitter). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** How long a delivery may stay unacknowledged with no retry scheduled (its consumer died) before another consumer takes it. */
  claimIdleMs?: number;
  consumer?: string;
};

const DONE_TTL_SECONDS = 7 * 24 * 3600;
const RETRY_BATCH = 50;
/** The longest a read blocks waiting for new events. */
const MAX_BLOCK_MS = 2000;
/** How long past a read's block its connection may stay silent before it is taken for dead (half-open) and reopened. */
const SILENCE_MARGIN_MS = 5000;

/** Where the bus keeps things in Redis, under its prefix. */
export function busKeys(prefix: string) {
  return {
    stream: (type: EventType) => `${prefix}events:${type}`,
    streamPrefix: `${prefix}events:`,
    deadLetter: `${prefix}events:dead-letter`,
    /** Per group: `type entryId` of each failed event by the time of its next attempt (a sorted set)… */
    retry: (group: string) => `${prefix}events:retry:${group}`,
    /** …and their RetryInfo (a hash). */
    retryInfo: (group: string) => `${prefix}events:retrying:${group}`,
    done: (group: string, eventId: string) => `${prefix}events:done:${group}:${eventId}`,
  };
}

type ConsumerContext = { redis: Redis; logger: Logger; clock: () => Date; keys: ReturnType<typeof busKeys>; maxLen: number };

/**
 * One consumer of a group: reads new events, runs the failed ones whose backoff is over, and takes
 * over deliveries whose consumer died. Failures are retried with capped exponential backoff on the
 * bus's clock; only events that can never succeed go to the dead-letter stream.
 */
export function startConsumer(context: ConsumerContext, subscription: SubscribeOptions) {
  const { redis, logger, clock, keys: busKey, maxLen } = context;
  const streamKey = busKey.stream;
  const deadLetterKey = busKey.deadLetter;
  const { group, handlers } = subscription;
  const maxAttempts = subscription.maxAttempts ?? Number.POSITIVE_INFINITY;
  const retryDelayMs = subscription.retryDelayMs ?? 1000;
  const maxRetryDelayMs = subscription.maxRetryDelayMs ?? 60_000;
  const claimIdleMs = subscription.claimIdleMs ?? 5 * retryDelayMs;
  const consumer = subscription.consumer ?? `${hostname()}-${process.pid}`;
  const types = Object.keys(handlers) as EventType[];
  const keys = types.map(streamKey);
  const typeOf = new Map(types.map((type) => [streamKey(type), type]));
  const retries = busKey.retry(group);
  const retryInfo = busKey.retryInfo(group);
  const blockMs = Math.max(100, Math.min(MAX_BLOCK_MS, retryDelayMs / 2));
  const connection = blockingConnection(redis, blockMs + SILENCE_MARGIN_MS);
  let running = true;
  const stopped = createStopSignal();
  // Once stopping, a command that cannot reach Redis (ioredis would hold it for a reconnection that
  // may never come) is given up: an entry it would have acknowledged stays pending for the next start.
  const abandoned = createStopSignal();
  const abandonIfDown = () => {
    if (!running && connection.status !== "ready") abandoned.fire();
  };
  connection.on("close", abandonIfDown);
  /** Every command of the consumer goes through here, so that stop() is never held up by Redis. */
  const call = <T>(command: Promise<T>): Promise<T> =>
    abandoned.until(command, () => {
      throw new Error("consumer stopped while Redis is unreachable");
    });

  const ensureGroups = async () => {
    for (const key of keys) {
      // From the start of the stream: a service deployed later still sees retained history.
      await call(connection.xgroup("CREATE", key, group, "0", "MKSTREAM")).catch((error: Error) => {
        if (!error.message.includes("BUSYGROUP")) throw error;
      });
    }
  };

  /** Acknowledges an entry and forgets its retry state, with `done` marking its event handled. */
  const settle = (key: string, id: string, doneKey?: string) => {
    const member = `${typeOf.get(key)} ${id}`;
    const batch = connection.multi();
    if (doneKey) batch.set(doneKey, "1", "EX", DONE_TTL_SECONDS);
    return call(batch.xack(key, group, id).zrem(retries, member).hdel(retryInfo, member).exec());
  };

  const handle = async (key: string, id: string, fields: string[]) => {
    const type = typeOf.get(key) as EventType;
    const redriveFor = field(fields, "redriveFor");
    // An operator's redrive is for the group that gave up on the event; the others handled it already.
    if (redriveFor !== undefined && redriveFor !== group) return void (await call(connection.xack(key, group, id)));
    const raw = field(fields, "event") ?? "";
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(JSON.parse(raw));
      // A valid event of another type (written to the wrong stream) must not reach this stream's handler.
      if (envelope.type !== type) throw new Error(`${envelope.type} in the ${type} stream`);
    } catch (error) {
      await deadLetter(key, id, raw, `invalid event: ${(error as Error).message}`, 1);
      return;
    }
    const doneKey = busKey.done(group, envelope.id);
    if (await call(connection.exists(doneKey))) return void (await settle(key, id));
    const handler = handlers[type] as Handler<EventType>;
    const log = logger.child({ eventId: envelope.id, type, group, requestId: envelope.requestId });
    try {
      await handler(envelope, { logger: log });
    } catch (error) {
      await failed(key, id, raw, doneKey, error, log);
      return;
    }
    await settle(key, id, doneKey);
  };

  /** A failed attempt: schedules the next one after a backoff, or dead-letters an event that can never succeed. */
  const failed = async (key: string, id: string, raw: string, doneKey: string, error: unknown, log: Logger) => {
    const type = typeOf.get(key) as EventType;
    const member = `${type} ${id}`;
    // Another consumer took over this delivery (ours hung) and finished it meanwhile.
    if (await call(connection.exists(doneKey))) return void (await settle(key, id));
    const previous = JSON.parse((await call(connection.hget(retryInfo, member))) ?? "null") as RetryInfo | null;
    const attempt = (previous?.attempt ?? 0) + 1;
    const message = errorMessage(error);
    if (isPermanent(error) || (!mustComplete.has(type) && attempt >= maxAttempts)) {
      log.warn({ err: error, attempt }, "event handler failed for good");
      await deadLetter(key, id, raw, message, attempt);
      return;
    }
    const now = clock().getTime();
    const delayMs = retryDelay(attempt, retryDelayMs, maxRetryDelayMs);
    log.warn({ err: error, attempt, retryInMs: delayMs }, "event handler failed, will retry");
    const info: RetryInfo = { attempt, since: previous?.since ?? now, error: message.slice(0, 500) };
    // Stays pending, owned by us; whichever consumer of the group sees it due first runs it again.
    await call(
      connection
        .multi()
        .zadd(retries, now + delayMs, member)
        .hset(retryInfo, member, JSON.stringify(info))
        .exec(),
    );
  };

  const deadLetter = async (key: string, id: string, raw: string, reason: string, attempts: number) => {
    logger.error({ stream: key, group, id, reason }, "event dead-lettered");
    const member = `${typeOf.get(key)} ${id}`;
    await call(
      connection
        .multi()
        .xadd(
          deadLetterKey,
          "MAXLEN",
          "~",
          maxLen,
          "*",
          "stream",
          key,
          "group",
          group,
          "entryId",
          id,
          "event",
          raw,
          "error",
          reason,
          "attempts",
          attempts,
          "failedAt",
          clock().toISOString(),
        )
        .xack(key, group, id)
        .zrem(retries, member)
        .hdel(retryInfo, member)
        .exec(),
    );
  };

  /** Runs the failed events whose backoff is over (of the types this consumer handles); true when more may be due. */
  const retryDue = async () => {
    const due = await call(connection.zrangebyscore(retries, "-inf", clock().getTime(), "LIMIT", 0, RETRY_BATCH));
    let taken = 0;
    for (const member of due) {
      if (!running) return false;
      const [type, id] = member.split(" ") as [EventType, string];
      const key = streamKey(type);
      // Another version of the service (mid-deploy) may handle types we do not; and only one consumer takes each.
      if (!typeOf.has(key) || (await call(connection.zrem(retries, member))) === 0) continue;
      taken += 1;
      const [entry] = (await call(connection.xclaim(key, group, consumer, 0, id))) as [string, string[] | null][];
      if (!entry?.[1]) {
        // Acknowledged meanwhile, or trimmed from the stream: nothing left to run.
        await settle(key, id);
        continue;
      }
      await handle(key, id, entry[1]);
    }
    return due.length === RETRY_BATCH && taken > 0;
  };

  /** Takes over deliveries whose consumer died (idle with no retry scheduled); events waiting out a backoff stay put. */
  const claimOrphans = async () => {
    for (const key of keys) {
      let start = "-";
      while (running) {
        const pending = (await call(connection.xpending(key, group, "IDLE", claimIdleMs, start, "+", 100))) as [string, string, number, number][];
        if (pending.length === 0) break;
        const scheduled = await call(connection.zmscore(retries, ...pending.map(([id]) => `${typeOf.get(key)} ${id}`)));
        for (const [index, [id]] of pending.entries()) {
          if (!running) return;
          if (scheduled[index] !== null) continue;
          // XCLAIM checks the idle time again: of several consumers, one gets it.
          const [entry] = (await call(connection.xclaim(key, group, consumer, claimIdleMs, id))) as [string, string[] | null][];
          if (entry?.[1]) await handle(key, id, entry[1]);
          else if (entry) await settle(key, id);
        }
        if (pending.length < 100) break;
        start = `(${pending.at(-1)?.[0]}`;
      }
    }
  };

  const loop = async () => {
    let ready = false;
    let lastClaim = 0;
    while (running) {
      try {
        if (!ready) {
          await ensureGroups();
          ready = true;
        }
        // After an outage many are due at once: work through them without waiting on new events.
        const backlog = await retryDue();
        if (Date.now() - lastClaim >= claimIdleMs / 2) {
          await claimOrphans();
          lastClaim = Date.now();
        }
        const read = connection.xreadgroup(
          "GROUP",
          group,
          consumer,
          "COUNT",
          50,
          "BLOCK",
          backlog ? 1 : blockMs,
          "STREAMS",
          ...keys,
          ...keys.map(() => ">"),
        ) as Promise<[string, [string, string[]][]][] | null>;
        // A read only waits: stop() need not wait for it (what it delivered stays pending, to be claimed).
        const result = await stopped.until(read, () => null);
        if (!running) break;
        for (const [key, entries] of result ?? []) {
          for (const [id, fields] of entries) await handle(key, id, fields);
        }
      } catch (error) {
        if (!running) break;
        if ((error as Error).message?.includes("NOGROUP")) ready = false;
        logger.warn({ err: error, group }, "event consumer error, retrying");
        await Bun.sleep(500);
      }
    }
  };

  const done = loop();
  const stop = async () => {
    running = false;
    stopped.fire();
    abandonIfDown();
    // A handler in progress finishes, and its acknowledgement is sent if Redis can be reached.
    await done;
    connection.disconnect();
  };
  return { stop };
}

/**
 * A connection of its own for blocking reads; it reconnects by itself, and the loop logs failures.
 * One silent for longer than `silentMs` (past a read's block) is half-open: it is dropped and
 * reopened (socketTimeout), and the unanswered command is sent again on the new one.
 */
function blockingConnection(redis: Redis, silentMs: number): Redis {
  const connection = redis.duplicate({ enableOfflineQueue: true, socketTimeout: silentMs, commandTimeout: undefined });
  connection.on("error", () => {});
  return connection;
}

/** A field's value in a stream entry's flat field list. */
function field(fields: string[], name: string): string | undefined {
  return pairs(fields).find(([key]) => key === name)?.[1];
}
