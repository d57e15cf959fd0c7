import { Gauge, type Registry } from "prom-client";
import type { EventBus } from "./bus";

/**
 * `events_consumer_lag`, `events_pending`, `events_retrying` and `events_oldest_retry_age_seconds`
 * per stream and consumer group, and `events_dead_letters` (given up on, waiting for an operator).
 */
export function registerEventMetrics(registry: Registry, bus: EventBus) {
  type Stats = Awaited<ReturnType<EventBus["groupStats"]>>;
  let last: Stats = [];
  let inflight: Promise<Stats> | undefined;
  // prom-client runs every collect at once: they share one read per scrape (the last one while Redis is down).
  const current = () => {
    inflight ??= bus
      .groupStats()
      .then((stats) => {
        last = stats;
        return stats;
      })
      .catch(() => last)
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
  new Gauge({
    name: "events_consumer_lag",
    help: "Entries not yet delivered to the consumer group",
    labelNames: ["stream", "group"] as const,
    registers: [registry],
    async collect() {
      const stats = await current();
      this.reset();
      for (const stat of stats) this.set({ stream: stat.stream, group: stat.group }, stat.lag);
    },
  });
  new Gauge({
    name: "events_pending",
    help: "Entries delivered but not yet acknowledged",
    labelNames: ["stream", "group"] as const,
    registers: [registry],
    async collect() {
      const stats = await current();
      this.reset();
      for (const stat of stats) this.set({ stream: stat.stream, group: stat.group }, stat.pending);
    },
  });
  new Gauge({
    name: "events_retrying",
    help: "Events whose handler failed and that wait for their next attempt",
    labelNames: ["stream", "group"] as const,
    registers: [registry],
    async collect() {
      const stats = await current();
      this.reset();
      for (const stat of stats) this.set({ stream: stat.stream, group: stat.group }, stat.retrying);
    },
  });
  new Gauge({
    name: "events_oldest_retry_age_seconds",
    help: "Time since the oldest event still being retried first failed (0 when none is)",
    labelNames: ["stream", "group"] as const,
    registers: [registry],
    async collect() {
      const stats = await current();
      this.reset();
      for (const stat of stats) this.set({ stream: stat.stream, group: stat.group }, stat.oldestRetrySeconds);
    },
  });
  new Gauge({
    name: "events_dead_letters",
    help: "Events given up on (they can never succeed as they are), waiting for an operator to redrive or discard them",
    registers: [registry],
    async collect() {
      const count = await bus.deadLetters.count().catch(() => undefined);
      if (count !== undefined) this.set(count);
    },
  });
}
