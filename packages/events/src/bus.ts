import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { uuidv7 } from "uuidv7";
import { type Envelope, type EventDataOf, type EventType, eventTypes, parseEnvelope } from "./catalog";
import { busKeys, type SubscribeOptions, startConsumer } from "./consume";
import { createDeadLetters } from "./dead-letters";
import type { RetryInfo } from "./retry";

export type { Handler, Handlers, SubscribeOptions } from "./consume";

export type EventBus = ReturnType<typeof createEventBus>;

/**
 * Events over Redis Streams, one stream per event type. Delivery is at-least-once per consumer
 * group; a handler runs at most once per event id per group (a "done" marker is written with
 * the ack). A failed event stays pending and is retried with capped exponential backoff (on the
 * bus's clock) until it succeeds; only an event that can never succeed (unreadable, or a handler's
 * `PermanentEventError`) goes to the dead-letter stream, from which an operator can redrive it.
 */
export function createEventBus(options: { redis: Redis; logger: Logger; prefix?: string; maxLen?: number; clock?: () => Date }) {
  const { redis, logger } = options;
  const prefix = options.prefix ?? "lodge:";
  const maxLen = options.maxLen ?? 100_000;
  const clock = options.clock ?? (() => new Date());
  const keys = busKeys(prefix);
  const streamKey = keys.stream;
  const deadLetterKey = keys.deadLetter;
  const deadLetters = createDeadLetters({ redis, key: deadLetterKey, streamPrefix: keys.streamPrefix, maxLen });
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
    const { stop } = startConsumer({ redis, logger, clock, keys, maxLen }, subscription);
    const stopAndForget = async () => {
      await stop();
      stoppers.delete(stopAndForget);
    };
    stoppers.add(stopAndForget);
    return { stop: stopAndForget };
  }

  /**
   * Per stream and group, for metrics gauges: consumer lag, pending count, and the events waiting
   * for a retry (how many, and how long ago the oldest of them first failed). The catalog names every stream.
   */
  async function groupStats() {
    const stats: { stream: string; group: string; lag: number; pending: number; retrying: number; oldestRetrySeconds: number }[] = [];
    const now = clock().getTime();
    const retryingOf = new Map<string, Record<string, string>>();
    for (const type of eventTypes) {
      const groups = (await redis.xinfo("GROUPS", streamKey(type)).catch(() => [])) as unknown[][];
      for (const fields of groups) {
        const info = Object.fromEntries(chunk(fields));
        const group = String(info.name);
        if (!retryingOf.has(group)) retryingOf.set(group, await redis.hgetall(keys.retryInfo(group)));
        const waiting = Object.entries(retryingOf.get(group) ?? {})
          .filter(([member]) => member.startsWith(`${type} `))
          .map(([, value]) => (JSON.parse(value) as RetryInfo).since);
        const oldest = waiting.length > 0 ? Math.max(0, (now - Math.min(...waiting)) / 1000) : 0;
        stats.push({
          stream: type,
          group,
          lag: Number(info.lag ?? 0),
          pending: Number(info.pending ?? 0),
          retrying: waiting.length,
          oldestRetrySeconds: oldest,
        });
      }
    }
    return stats;
  }

  async function close() {
    await Promise.all([...stoppers].map((stop) => stop()));
  }

  return { publish, subscribe, groupStats, close, streamKey, deadLetterKey, deadLetters, keys };
}

function chunk(fields: unknown[]): [string, unknown][] {
  const result: [string, unknown][] = [];
  for (let index = 0; index < fields.length; index += 2) result.push([String(fields[index]), fields[index + 1]]);
  return result;
}
