import { serviceEnv, z } from "@lodge/config";
import { serviceNamed } from "@lodge/services";

const positiveInt = z.coerce.number().int().positive();

export const analyticsEnv = serviceEnv.extend({
  PORT: z.coerce.number().int().default(serviceNamed("analytics").port),

  /** Largest body POST /analytics/events and /analytics/track take (a batch of 100 events with their props). */
  ANALYTICS_MAX_BODY_BYTES: positiveInt.default(512 * 1024),
  /** How far a client's own timestamp may lie from the server's clock before it is clamped (ms). */
  ANALYTICS_MAX_CLOCK_SKEW_MS: positiveInt.default(10 * 60_000),
  /** Ingest requests per minute one client address may make, and one site may receive. */
  ANALYTICS_RATE_PER_IP: positiveInt.default(600),
  ANALYTICS_RATE_PER_SITE: positiveInt.default(60_000),
  /** POST /analytics/track calls per minute for one user (whoever sends them). */
  ANALYTICS_TRACK_RATE_PER_USER: positiveInt.default(120),

  /** Months of events kept: older monthly partitions (and their rollups) are dropped. */
  ANALYTICS_RETENTION_MONTHS: positiveInt.max(1200).default(25),
  /** Monthly partitions created ahead of the current month. */
  ANALYTICS_PARTITIONS_AHEAD: positiveInt.max(24).default(3),

  /** Stream entries (ingest requests) the writer takes at most per transaction, and how long it waits for more after a partial batch. */
  ANALYTICS_WRITER_BATCH: positiveInt.default(200),
  ANALYTICS_WRITER_LINGER_MS: z.coerce.number().int().nonnegative().default(50),
  /**
   * Ingest requests (stream entries, up to a batch of events each) that may wait for the writer: at
   * that many, POST /analytics/events answers 503 with Retry-After until the writer has caught up.
   */
  ANALYTICS_MAX_BACKLOG: positiveInt.default(1000),
  /** How long stream entries read by a writer that then died stay pending before another instance's writer takes them over (ms). */
  ANALYTICS_WRITER_CLAIM_IDLE_MS: positiveInt.default(30_000),
  /** How often dirty hours are rolled up (ms). */
  ANALYTICS_ROLLUP_INTERVAL_MS: positiveInt.default(1000),
  /** How long one statement of a stats, funnel, retention or activity query may run before Postgres cancels it (ms). */
  ANALYTICS_QUERY_TIMEOUT_MS: positiveInt.default(30_000),

  /** The API's public origin (`https://api.example.com`): share links start with it; empty gives root-relative links. */
  ANALYTICS_PUBLIC_URL: z
    .string()
    .default("")
    .refine((value) => value === "" || /^https?:\/\/[^/]+$/.test(value), "must be an http(s) origin without a path (or empty)"),
});

export type AnalyticsEnv = z.infer<typeof analyticsEnv>;
