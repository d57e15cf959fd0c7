import { Counter, Gauge, Histogram, type Logger, type Metrics } from "@lodge/kit";
import type { Transformer } from "grammy";
import type { UpdateQueue } from "./queue";
import { isHandledType } from "./routing";

type Registry = Metrics["registry"];

/** A metric of this registry made once (a second bot or pipeline on the same registry, a test's restart, shares it). */
function once<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** An update type as a label: the handled types by name, anything else as `other` (a label's values stay few). */
export const typeLabel = (type: string) => (isHandledType(type) ? type : "other");

/** The pipeline's counters and histogram (updates in, updates done, how long they took). */
export function updateMetrics(registry: Registry) {
  return {
    received: once(
      registry,
      "bot_updates_received_total",
      () =>
        new Counter({
          name: "bot_updates_received_total",
          help: "Updates from Telegram (webhook or polling) by type and outcome: queued, duplicate (an update id queued before), ignored (a type the bot does not handle)",
          labelNames: ["type", "outcome"] as const,
          registers: [registry],
        }),
    ),
    processed: once(
      registry,
      "bot_updates_processed_total",
      () =>
        new Counter({
          name: "bot_updates_processed_total",
          help: "Attempts at queued updates by type and outcome: ok, retried (failed, tried again after a backoff), rejected (bad input, dropped), dead_lettered (given up on)",
          labelNames: ["type", "outcome"] as const,
          registers: [registry],
        }),
    ),
    seconds: once(
      registry,
      "bot_update_processing_seconds",
      () =>
        new Histogram({
          name: "bot_update_processing_seconds",
          help: "Time from taking a queued update to being done with it (its retries included), by type",
          labelNames: ["type"] as const,
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
          registers: [registry],
        }),
    ),
  };
}

export type UpdateMetrics = ReturnType<typeof updateMetrics>;

/**
 * `bot_update_queue_depth` (updates queued and not yet done), `bot_update_queue_oldest_age_seconds`
 * and `bot_update_dead_letters`, read from Redis at each scrape (the last values while it is down).
 */
export function registerQueueGauges(registry: Registry, queue: UpdateQueue, logger: Logger) {
  const last = { depth: 0, oldestAgeSeconds: 0, deadLetters: 0 };
  let inflight: Promise<typeof last> | undefined;
  const read = () => {
    inflight ??= Promise.all([queue.depth(), queue.oldestQueuedAt(), queue.deadLetters()])
      .then(([depth, oldest, deadLetters]) =>
        Object.assign(last, { depth, deadLetters, oldestAgeSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000) }),
      )
      .catch((error) => {
        logger.debug({ err: error }, "the update queue's gauges could not be read");
        return last;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
  const gauges: [name: string, help: string, value: (values: typeof last) => number][] = [
    ["bot_update_queue_depth", "Updates queued and not yet done, over every shard", (values) => values.depth],
    ["bot_update_queue_oldest_age_seconds", "How long the oldest update still queued has waited (0 when none is)", (values) => values.oldestAgeSeconds],
    [
      "bot_update_dead_letters",
      "Updates given up on after their retries, waiting for an operator (the bot:updates:dead-letter stream)",
      (values) => values.deadLetters,
    ],
  ];
  for (const [name, help, value] of gauges) {
    once(
      registry,
      name,
      () =>
        new Gauge({
          name,
          help,
          registers: [registry],
          async collect() {
            this.set(value(await read()));
          },
        }),
    );
  }
}

/**
 * A grammY API transformer counting every call to Telegram by method and answer
 * (`bot_telegram_api_calls_total{method,code}`: 200, Telegram's error code – 429 is its flood
 * control – or `network`). Installed beneath auto-retry, so each retried attempt counts.
 */
export function countApiCalls(registry: Registry): Transformer {
  const calls = once(
    registry,
    "bot_telegram_api_calls_total",
    () =>
      new Counter({
        name: "bot_telegram_api_calls_total",
        help: "Bot API calls by method and answer: 200, Telegram's error code (429: flood control), or network",
        labelNames: ["method", "code"] as const,
        registers: [registry],
      }),
  );
  return async (call, method, payload, signal) => {
    try {
      const result = await call(method, payload, signal);
      calls.inc({ method, code: result.ok ? "200" : String(result.error_code) });
      return result;
    } catch (error) {
      calls.inc({ method, code: "network" });
      throw error;
    }
  };
}
