import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { uuidv7 } from "uuidv7";
import { type Envelope, type EventDataOf, type EventType, eventTypes, parseEnvelope } from "./catalog";

export type Handler<T extends EventType> = (event: Envelope<T>) => Promise<void> | void;
export type Handlers = { [T in EventType]?: Handler<T> };

export type SubscribeOptions = {
  /** One consumer group per service: each event is handled once per group. */
  group: string;
  handlers: Handlers;
  /** Deliveries before an event goes to the dead-letter stream. */
  maxAttempts?: number;
  /** How long a failed or orphaned delivery waits before it is retried (by any consumer). */
  retryDelayMs?: number;
  consumer?: string;
};

export type EventBus = ReturnType<typeof createEventBus>;

const DONE_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Events over Redis Streams, one stream per event type. Delivery is at-least-once per consumer
 * group; a handler runs at most once per event id per group (a "done" marker is written with
 * the ack); failures are retried after `retryDelayMs` and dead-lettered after `maxAttempts`.
 */
export function createEventBus(options: { redis: Redis; logger: Logger; prefix?: string; maxLen?: number }) {
  const { redis, logger } = options;
  const prefix = options.prefix ?? "lodge:";
  const maxLen = options.maxLen ?? 100_000;
  const streamKey = (type: EventType) => `${prefix}events:${type}`;
  const deadLetterKey = `${prefix}events:dead-letter`;
  const stoppers = new Set<() => Promise<void>>();

  /** Validates and appends an event. Pass `id` to republish (the outbox does) without duplicating. */
  async function publish<T extends EventType>(type: T, data: EventDataOf<T>, meta: { id?: string; requestId?: string; occurredAt?: string } = {}) {
    const envelope = parseEnvelope({
      id: meta.id ?? uuidv7(),
      type,
      occurredAt: meta.occurredAt ?? new Date().toISOString(),
      data,
      ...(meta.requestId ? { requestId: meta.requestId } : {}),
    }) as Envelope<T>;
    await redis.xadd(streamKey(type), "MAXLEN", "~", maxLen, "*", "event", JSON.stringify(envelope));
    return envelope;
  }

  function subscribe(subscription: SubscribeOptions) {
    const { group, handlers } = subscription;
    const maxAttempts = subscription.maxAttempts ?? 5;
    const retryDelayMs = subscription.retryDelayMs ?? 5000;
    const consumer = subscription.consumer ?? `${hostname()}-${process.pid}`;
    const keys = (Object.keys(handlers) as EventType[]).map(streamKey);
    const typeOf = new Map((Object.keys(handlers) as EventType[]).map((type) => [streamKey(type), type]));
    const connection = background(redis);
    let running = true;
    let blocked = false;

    const ensureGroups = async () => {
      for (const key of keys) {
        // From the start of the stream: a service deployed later still sees retained history.
        await connection.xgroup("CREATE", key, group, "0", "MKSTREAM").catch((error: Error) => {
          if (!error.message.includes("BUSYGROUP")) throw error;
        });
      }
    };

    const deliveries = async (key: string, id: string) => {
      const [entry] = (await connection.xpending(key, group, id, id, 1)) as [string, string, number, number][];
      return entry?.[3] ?? 1;
    };

    const handle = async (key: string, id: string, fields: string[], attempt: number) => {
      const raw = fields[fields.indexOf("event") + 1] ?? "";
      let envelope: Envelope;
      try {
        envelope = parseEnvelope(JSON.parse(raw));
        // A valid event of another type (written to the wrong stream) must not reach this stream's handler.
        if (envelope.type !== typeOf.get(key)) throw new Error(`${envelope.type} in the ${typeOf.get(key)} stream`);
      } catch (error) {
        await deadLetter(key, id, raw, `invalid event: ${(error as Error).message}`);
        return;
      }
      const doneKey = `${prefix}events:done:${group}:${envelope.id}`;
      if (await connection.exists(doneKey)) {
        await connection.xack(key, group, id);
        return;
      }
      const handler = handlers[typeOf.get(key) as EventType] as Handler<EventType>;
      const log = logger.child({ eventId: envelope.id, type: envelope.type, group, requestId: envelope.requestId });
      try {
        await handler(envelope);
        await connection.multi().set(doneKey, "1", "EX", DONE_TTL_SECONDS).xack(key, group, id).exec();
      } catch (error) {
        log.warn({ err: error, attempt }, "event handler failed");
        if (attempt >= maxAttempts) await deadLetter(key, id, raw, (error as Error).message ?? String(error));
      }
    };

    const deadLetter = async (key: string, id: string, raw: string, reason: string) => {
      logger.error({ stream: key, group, id, reason }, "event dead-lettered");
      await connection
        .multi()
        .xadd(deadLetterKey, "MAXLEN", "~", maxLen, "*", "stream", key, "group", group, "entryId", id, "event", raw, "error", reason)
        .xack(key, group, id)
        .exec();
    };

    /** Takes over deliveries that failed or whose consumer died, once they have waited long enough. */
    const retryStale = async () => {
      for (const key of keys) {
        let cursor = "0-0";
        do {
          const [next, entries] = (await connection.xautoclaim(key, group, consumer, retryDelayMs, cursor, "COUNT", 50)) as [string, [string, string[]][]];
          for (const [id, fields] of entries) await handle(key, id, fields, await deliveries(key, id));
          cursor = next;
        } while (running && cursor !== "0-0");
      }
    };

    const loop = async () => {
      let lastRetry = 0;
      while (running) {
        try {
          if (lastRetry === 0) await ensureGroups();
          if (Date.now() - lastRetry >= retryDelayMs / 2) {
            await retryStale();
            lastRetry = Date.now();
          }
          blocked = true;
          const block = Math.max(100, Math.min(2000, retryDelayMs / 2));
          const result = (await connection.xreadgroup("GROUP", group, consumer, "COUNT", 50, "BLOCK", block, "STREAMS", ...keys, ...keys.map(() => ">"))) as
            | [string, [string, string[]][]][]
            | null;
          blocked = false;
          for (const [key, entries] of result ?? []) {
            for (const [id, fields] of entries) await handle(key, id, fields, 1);
          }
        } catch (error) {
          blocked = false;
          if (!running) break;
          if ((error as Error).message?.includes("NOGROUP")) lastRetry = 0;
          logger.warn({ err: error, group }, "event consumer error, retrying");
          await Bun.sleep(500);
        }
      }
    };

    const done = loop();
    const stop = async () => {
      running = false;
      if (blocked) connection.disconnect();
      await done;
      connection.disconnect();
      stoppers.delete(stop);
    };
    stoppers.add(stop);
    return { stop };
  }

  /**
   * Every instance sees every event of `type` from `sinceMs` on (no group): for fan-out state such
   * as the revoked-session list. Resumes from the last seen entry after a Redis outage.
   */
  function tail<T extends EventType>(type: T, sinceMs: number, handler: (event: Envelope<T>) => void) {
    const connection = background(redis);
    const key = streamKey(type);
    let lastId = `${sinceMs}-0`;
    let running = true;
    const loop = async () => {
      while (running) {
        try {
          const result = (await connection.xread("COUNT", 500, "BLOCK", 2000, "STREAMS", key, lastId)) as [string, [string, string[]][]][] | null;
          for (const [, entries] of result ?? []) {
            for (const [id, fields] of entries) {
              lastId = id;
              try {
                handler(parseEnvelope(JSON.parse(fields[fields.indexOf("event") + 1] ?? "")) as Envelope<T>);
              } catch (error) {
                logger.warn({ err: error, id, key }, "skipping unreadable event");
              }
            }
          }
        } catch (error) {
          if (!running) break;
          logger.warn({ err: error, key }, "event tail error, retrying");
          await Bun.sleep(500);
        }
      }
    };
    const done = loop();
    const stop = async () => {
      running = false;
      connection.disconnect();
      await done;
      stoppers.delete(stop);
    };
    stoppers.add(stop);
    return { stop };
  }

  /** Consumer lag and pending counts per stream and group, for a metrics gauge. The catalog names every stream. */
  async function groupStats() {
    const stats: { stream: string; group: string; lag: number; pending: number }[] = [];
    for (const type of eventTypes) {
      const groups = (await redis.xinfo("GROUPS", streamKey(type)).catch(() => [])) as unknown[][];
      for (const fields of groups) {
        const info = Object.fromEntries(chunk(fields));
        stats.push({ stream: type, group: String(info.name), lag: Number(info.lag ?? 0), pending: Number(info.pending ?? 0) });
      }
    }
    return stats;
  }

  async function close() {
    await Promise.all([...stoppers].map((stop) => stop()));
  }

  return { publish, subscribe, tail, groupStats, close, streamKey, deadLetterKey };
}

/** A connection of its own for blocking reads; it reconnects by itself, and the loops log failures. */
function background(redis: Redis): Redis {
  const connection = redis.duplicate({ enableOfflineQueue: true });
  connection.on("error", () => {});
  return connection;
}

function chunk(fields: unknown[]): [string, unknown][] {
  const pairs: [string, unknown][] = [];
  for (let index = 0; index < fields.length; index += 2) pairs.push([String(fields[index]), fields[index + 1]]);
  return pairs;
}
