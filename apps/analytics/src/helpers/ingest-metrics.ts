import { Counter, Gauge, Histogram, type Metrics, type Redis } from "@lodge/kit";
import { readBacklog } from "./ingest-backlog";

/** The ingest's Prometheus series: events accepted and dropped (by reason), written, the stream's backlog and each write's duration. */
export function createIngestMetrics(metrics: Metrics, redis: Redis, streams: readonly string[]) {
  const registers = [metrics.registry];
  new Gauge({
    name: "analytics_ingest_backlog",
    help: "Ingest stream entries (requests' events) not yet written to Postgres and acknowledged",
    registers,
    async collect() {
      this.set(await readBacklog(redis, streams));
    },
  });
  return {
    accepted: new Counter({ name: "analytics_events_accepted_total", help: "Events queued for the writer (answered 202)", registers }),
    dropped: new Counter({
      name: "analytics_events_dropped_total",
      help: "Events of accepted requests that were dropped, by reason (bot, excluded_path, excluded_ip, invalid_<field>)",
      labelNames: ["reason"] as const,
      registers,
    }),
    refused: new Counter({
      name: "analytics_ingest_refused_total",
      help: "Ingest requests answered 503 because the stream's backlog was at ANALYTICS_MAX_BACKLOG (their events not queued)",
      registers,
    }),
    written: new Counter({ name: "analytics_events_written_total", help: "Events the writer stored in Postgres (duplicates not counted)", registers }),
    batchSeconds: new Histogram({
      name: "analytics_writer_batch_duration_seconds",
      help: "One writer batch: its events stored and committed",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
