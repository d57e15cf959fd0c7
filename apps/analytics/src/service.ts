import { analyticsOutbox } from "@lodge/db/schema";
import { defineService, type StartOptions, startService } from "@lodge/kit";
import type { AnalyticsDeps } from "./deps";
import { type AnalyticsEnv, analyticsEnv } from "./env";
import { consumers } from "./events/index";
import { createEventWriter } from "./helpers/event-writer";
import { watchIngestBacklog } from "./helpers/ingest-backlog";
import { createIngestMetrics } from "./helpers/ingest-metrics";
import { ingestStreams } from "./helpers/ingest-stream";
import { ensurePartitions, monthStart } from "./helpers/partitions";
import { createRollupMetrics } from "./helpers/rollup-metrics";
import { createSiteCache } from "./helpers/site-cache";
import { buildTrackerScript } from "./helpers/tracker-script";
import { createClientCache } from "./helpers/traffic";
import { createVisitors } from "./helpers/visitors";
import { jobs } from "./jobs/index";
import { eventRoutes } from "./routes/events/index";
import { exportRoutes } from "./routes/export/index";
import { funnelRoutes } from "./routes/funnels/index";
import { meRoutes } from "./routes/me/index";
import { retentionRoutes } from "./routes/retention/index";
import { shareRoutes } from "./routes/shares/index";
import { siteRoutes } from "./routes/sites/index";
import { statsRoutes } from "./routes/stats/index";
import { trackRoutes } from "./routes/track/index";
import { trackerRoutes } from "./routes/tracker/index";

/** How long an instance uses a site as it read it (a change made on another instance applies within this). */
const SITE_CACHE_MS = 5000;
/** How often an instance reads the ingest backlog (how late it may notice the bound is reached, or left). */
const BACKLOG_CHECK_MS = 250;

/** `jobs: false`: no workers (tests that look at dirty marks and roll up by hand); `writer: false`: the ingest stream is left as it is (tests that look at it). */
type AnalyticsStartExtras = { jobs?: boolean; writer?: boolean };
export type AnalyticsServiceOptions = StartOptions<AnalyticsEnv> & AnalyticsStartExtras;

export const analyticsService = defineService<AnalyticsEnv, AnalyticsDeps, AnalyticsStartExtras>({
  name: "analytics",
  env: analyticsEnv,
  openApi: {
    prefix: "/analytics",
    title: "Lodge analytics",
    description:
      "Privacy-friendly web analytics (a tracker script, no cookies) and product events, stored in Postgres, with stats, breakdowns, funnels, retention and per-user activity.",
  },
  outbox: analyticsOutbox,
  tokens: "jwks",
  // The ingest reads its own body: text/plain JSON too (sendBeacon), within ANALYTICS_MAX_BODY_BYTES.
  http: { rawBody: ({ method, path }) => method === "POST" && path === "/analytics/events" },
  build: async (base, options) => {
    const { env } = options;
    // Events may be stamped up to the allowed clock skew in the past: last month's partition too.
    const now = base.clock();
    await ensurePartitions(base.db, monthStart(now, -1), monthStart(now, env.ANALYTICS_PARTITIONS_AHEAD));
    const streams = ingestStreams(base.redisPrefix);
    const ingestMetrics = createIngestMetrics(base.metrics, base.redis, streams);
    const ingestBacklog = watchIngestBacklog({
      redis: base.redis,
      streams,
      max: env.ANALYTICS_MAX_BACKLOG,
      checkMs: BACKLOG_CHECK_MS,
      onError: (error) => base.logger.warn({ err: error }, "reading the ingest backlog failed"),
    });
    await ingestBacklog.refresh();
    const eventWriter = createEventWriter({
      db: base.db,
      redis: base.redis,
      logger: base.logger,
      prefix: base.redisPrefix,
      metrics: ingestMetrics,
      batchSize: env.ANALYTICS_WRITER_BATCH,
      lingerMs: env.ANALYTICS_WRITER_LINGER_MS,
      claimIdleMs: env.ANALYTICS_WRITER_CLAIM_IDLE_MS,
    });
    if (options.writer !== false) eventWriter.start();
    return {
      env,
      visitors: createVisitors({ redis: base.redis, prefix: base.redisPrefix }),
      ingestMetrics,
      ingestBacklog,
      eventWriter,
      tracker: await buildTrackerScript(),
      rollupPassSeconds: createRollupMetrics(base.metrics, base.db),
      siteCache: createSiteCache({ db: base.db, clock: base.clock, ttlMs: SITE_CACHE_MS }),
      clients: createClientCache(),
    };
  },
  routes: (deps) => [
    trackerRoutes(deps),
    eventRoutes(deps),
    siteRoutes(deps),
    shareRoutes(deps),
    statsRoutes(deps),
    trackRoutes(deps),
    meRoutes(deps),
    funnelRoutes(deps),
    retentionRoutes(deps),
    exportRoutes(deps),
  ],
  consumers,
  jobs,
  close: (deps) => {
    deps.ingestBacklog.stop();
    return deps.eventWriter.stop();
  },
});

/** Builds every dependency once and returns the app, its deps and a close(). */
export const startAnalyticsService = (options: AnalyticsServiceOptions) => startService(analyticsService, options);
