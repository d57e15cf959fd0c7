import { Gauge, type Registry } from "prom-client";
import type { EventBus } from "./bus";

/** `events_consumer_lag` and `events_pending` per stream and consumer group. */
export function registerEventMetrics(registry: Registry, bus: EventBus) {
  let stats: Awaited<ReturnType<EventBus["groupStats"]>> = [];
  const refresh = async () => {
    stats = await bus.groupStats().catch(() => stats);
  };
  new Gauge({
    name: "events_consumer_lag",
    help: "Entries not yet delivered to the consumer group",
    labelNames: ["stream", "group"] as const,
    registers: [registry],
    async collect() {
      await refresh();
      this.reset();
      for (const stat of stats) this.set({ stream: stat.stream, group: stat.group }, stat.lag);
    },
  });
  new Gauge({
    name: "events_pending",
    help: "Entries delivered but not yet acknowledged",
    labelNames: ["stream", "group"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const stat of stats) this.set({ stream: stat.stream, group: stat.group }, stat.pending);
    },
  });
}
