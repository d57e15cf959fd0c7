import type { Db } from "@lodge/db";
import { Gauge, Histogram, type Metrics } from "@lodge/kit";
import { dirtyHours } from "./rollups";

/** The rollups' Prometheus series: the marks waiting (read from Postgres at scrape time) and each pass's duration. */
export function createRollupMetrics(metrics: Metrics, db: Db) {
  new Gauge({
    name: "analytics_rollup_dirty_hours",
    help: "(site, hour) pairs whose rollups are behind their events, waiting for the rollup job",
    registers: [metrics.registry],
    async collect() {
      // Postgres unreachable: the last value stays (/ready reports the outage), the scrape still answers.
      const count = await dirtyHours(db).catch(() => undefined);
      if (count !== undefined) this.set(count);
    },
  });
  return new Histogram({
    name: "analytics_rollup_pass_duration_seconds",
    help: "One rollup pass: dirty hours recomputed from the events and their marks cleared",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [metrics.registry],
  });
}
