import type { Histogram, Ctx as KitCtx, ServiceBase, StreamWriter, WithOutbox } from "@lodge/kit";
import type { AnalyticsEnv } from "./env";
import type { IngestBacklog } from "./helpers/ingest-backlog";
import type { IngestMetrics } from "./helpers/ingest-metrics";
import type { SiteCache } from "./helpers/site-cache";
import type { TrackerScript } from "./helpers/tracker-script";
import type { ClientCache } from "./helpers/traffic";
import type { Visitors } from "./helpers/visitors";

/** What the kit builds for every service, plus the analytics service's own (see service.ts); built once at boot. */
export type AnalyticsDeps = ServiceBase &
  WithOutbox & {
    env: AnalyticsEnv;
    /** The tracker script as served (minified at boot). */
    tracker: TrackerScript;
    /** analytics_rollup_pass_duration_seconds (the rollup job observes it). */
    rollupPassSeconds: Histogram;
    /** Sites by site key for ingest, briefly cached. */
    siteCache: SiteCache;
    /** What ingest makes of a user agent (a bot, or a browser, OS and device), kept per agent. */
    clients: ClientCache;
    /** The day's visitor hash and the visits (Redis). */
    visitors: Visitors;
    ingestMetrics: IngestMetrics;
    /** The ingest stream's backlog, read every few hundred ms: the ingest refuses requests while it is at ANALYTICS_MAX_BACKLOG. */
    ingestBacklog: IngestBacklog;
    /** Moves the ingest stream into Postgres (started at boot unless `writer: false`). */
    eventWriter: StreamWriter;
  };

export type Ctx = KitCtx<AnalyticsDeps>;
