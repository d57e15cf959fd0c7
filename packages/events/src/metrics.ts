import { Gauge, type Registry } from "prom-client";
import type { EventBus } from "./bus";

type Stats = Awaited<ReturnType<EventBus["groupStats"]>>;

/** What each per-group gauge reads from the bus's stats. */
const groupGauges: [name: string, help: string, value: (stat: Stats[number]) => number][] = [
  ["events_consumer_lag", "Entries not yet delivered to the consumer group", (stat) => stat.lag],
  ["events_pending", "Entries delivered but not yet acknowledged", (stat) => stat.pending],
  ["events_retrying", "Events whose handler failed and that wait for their next attempt", (stat) => stat.retrying],
  ["events_oldest_retry_age_seconds", "Time since the oldest event still being retried first failed (0 when none is)", (stat) => stat.oldestRetrySeconds],
];

/**
 * `events_consumer_lag`, `events_pending`, `events_retrying` and `events_oldest_retry_age_seconds`
 * per stream and consumer group, and `events_dead_letters` (given up on, waiting for an operator).
 */
export function registerEventMetrics(registry: Registry, bus: EventBus) {
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
  for (const [name, help, value] of groupGauges) {
    new Gauge({
      name,
      help,
      labelNames: ["stream", "group"] as const,
      registers: [registry],
      async collect() {
        const stats = await current();
        this.reset();
        for (const stat of stats) this.set({ stream: stat.stream, group: stat.group }, value(stat));
      },
    });
  }
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
