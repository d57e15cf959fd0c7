import type { Context } from "hono";
import { matchedRoutes } from "hono/route";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export { Counter, Gauge, Histogram, Registry };

/** How often the event-loop delay histogram (`nodejs_eventloop_lag_*`) takes a sample, in ms. */
const EVENT_LOOP_SAMPLE_MS = 100;

/** One registry per service instance, so tests can build several apps in one process. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // The event-loop delay histogram samples with a timer: prom-client's default (every 10 ms) wakes an
  // idle service 100 times a second, most of its idle CPU. Every 100 ms still times each stall (the
  // timer waiting is late by it) and gives a scrape interval's percentiles over ~150 samples.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration by method, route template and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, httpDuration };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The route template that answered (never the raw path, which would explode cardinality). */
export function routeTemplate(c: Context): string {
  const handler = matchedRoutes(c).findLast((route) => route.method !== "ALL");
  return handler?.path ?? "unmatched";
}
