import { sql } from "drizzle-orm";
import { bigint, boolean, date, index, integer, jsonb, pgSchema, primaryKey, smallint, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { byteText, createdAt, erasedUsersTable, id, outboxTable, timestamptz } from "./columns";

export const analyticsSchema = pgSchema("analytics");

/** A website whose pages run the tracker script (admins manage them; its owner and admins read its stats). */
export const sites = analyticsSchema.table(
  "sites",
  {
    id: id(),
    /** The site's host (`example.com`), lowercase; its pages' origins (and its subdomains') may send events. */
    domain: text("domain").notNull(),
    name: text("name").notNull(),
    /** Public, in the script tag: names the site on ingest (not a secret; origins are checked too). */
    siteKey: text("site_key").notNull(),
    /** IANA time zone: days, intervals and the visitor hash's day are the site's local ones. */
    timeZone: text("time_zone").notNull().default("UTC"),
    /** A user who may read the site's stats besides admins. */
    ownerId: uuid("owner_id"),
    /** More origins than the domain's own that may send events (`https://app.example.net`). */
    extraOrigins: text("extra_origins").array().notNull().default(sql`'{}'::text[]`),
    /** Paths whose events are dropped (`/admin/*`, wildcards). */
    excludedPaths: text("excluded_paths").array().notNull().default(sql`'{}'::text[]`),
    /** Client addresses (or CIDR ranges) whose events are dropped (the team's office). */
    excludedIps: text("excluded_ips").array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  (table) => [uniqueIndex("sites_domain_idx").on(table.domain), uniqueIndex("sites_site_key_idx").on(table.siteKey)],
);

/** A read-only link to a site's stats; revoked links stop working at once. Only the token's hash is kept. */
export const siteShares = analyticsSchema.table(
  "site_shares",
  {
    id: id(),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    label: text("label").notNull().default(""),
    /** SHA-256 of the link's token, hex. */
    tokenHash: text("token_hash").notNull(),
    createdAt: createdAt(),
    revokedAt: timestamptz("revoked_at"),
  },
  (table) => [uniqueIndex("site_shares_token_idx").on(table.tokenHash), index("site_shares_site_idx").on(table.siteId)],
);

/**
 * Every event: web events from the tracker (site_id, visitor, visit) and product events tied to a
 * user (user_id; from the bus and POST /analytics/track). Partitioned by month on `ts` (the
 * migration declares it: drizzle has no words for partitions); partitions are created ahead by a
 * job and old ones dropped for retention. `(id, ts)` is unique, so a batch written twice (a writer
 * that crashed before acknowledging) stays one set of rows.
 */
export const events = analyticsSchema.table(
  "events",
  {
    /** Chosen at ingest (UUIDv7), carried through the stream. */
    id: uuid("id").notNull(),
    ts: timestamptz("ts").notNull(),
    siteId: uuid("site_id"),
    userId: uuid("user_id"),
    /** `pageview` or a custom name (≤ 120 characters). */
    name: text("name").notNull(),
    /** hash(daily salt, site, ip, user agent): the same person is another visitor the next (site-local) day. */
    visitorId: bigint("visitor_id", { mode: "bigint" }),
    /** When the visitor's visit this event belongs to began (a visit ends after 30 minutes without events). */
    visitStart: timestamptz("visit_start"),
    hostname: text("hostname"),
    pathname: text("pathname"),
    /** The referring page (origin and path, no query), when another site sent the visitor. */
    referrer: text("referrer"),
    /** utm_source, else a name for the referrer's host (`Google`), else null (direct). */
    source: text("source"),
    utmMedium: text("utm_medium"),
    utmCampaign: text("utm_campaign"),
    utmContent: text("utm_content"),
    utmTerm: text("utm_term"),
    browser: text("browser"),
    os: text("os"),
    /** desktop, mobile, tablet, ... (ua-parser-js's device type, desktop when it names none). */
    device: text("device"),
    screenWidth: smallint("screen_width"),
    /** String properties (≤ 30). */
    props: jsonb("props").$type<Record<string, string>>().notNull().default({}),
  },
  (table) => [
    primaryKey({ columns: [table.id, table.ts] }),
    index("events_site_ts_idx").on(table.siteId, table.ts),
    index("events_site_visit_idx").on(table.siteId, table.visitStart),
    index("events_user_ts_idx").on(table.userId, table.ts).where(sql`${table.userId} is not null`),
  ],
);

/**
 * Per site and UTC hour, what the dashboard's stats and hourly series need, recomputed from the
 * events whenever the hour is marked dirty. Visit figures are counted in the hour the visit began.
 */
export const rollupHours = analyticsSchema.table(
  "rollup_hours",
  {
    siteId: uuid("site_id").notNull(),
    hour: timestamptz("hour").notNull(),
    /** Distinct visitors with an event in this hour. */
    visitors: integer("visitors").notNull(),
    /** Visits that began in this hour, and of those the ones with a single event, and their summed length. */
    visits: integer("visits").notNull(),
    bounces: integer("bounces").notNull(),
    durationSeconds: bigint("duration_seconds", { mode: "number" }).notNull(),
    pageviews: integer("pageviews").notNull(),
    /** All events (pageviews included). */
    events: integer("events").notNull(),
  },
  (table) => [primaryKey({ columns: [table.siteId, table.hour] })],
);

/** Per site and site-local day: distinct visitors (summed over days, they are exact: a visitor is new each day). */
export const rollupDays = analyticsSchema.table(
  "rollup_days",
  {
    siteId: uuid("site_id").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    visitors: integer("visitors").notNull(),
  },
  (table) => [primaryKey({ columns: [table.siteId, table.day] })],
);

/** Per site, site-local day and page: pageviews and distinct visitors (top pages without scanning events). */
export const rollupPages = analyticsSchema.table(
  "rollup_pages",
  {
    siteId: uuid("site_id").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    pathname: byteText("pathname").notNull(),
    visitors: integer("visitors").notNull(),
    pageviews: integer("pageviews").notNull(),
  },
  (table) => [primaryKey({ columns: [table.siteId, table.day, table.pathname] })],
);

/**
 * Per site, UTC hour, site-local day and page: the hour's pageviews of the page (two days for an
 * hour of a zone whose offset is not a whole hour). A rescan recounting an hour at the edge of a
 * rescanned day adds the difference to the other day's rollup_pages.
 */
export const rollupHourPages = analyticsSchema.table(
  "rollup_hour_pages",
  {
    siteId: uuid("site_id").notNull(),
    hour: timestamptz("hour").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    pathname: byteText("pathname").notNull(),
    pageviews: integer("pageviews").notNull(),
  },
  (table) => [primaryKey({ columns: [table.siteId, table.hour, table.day, table.pathname] })],
);

/**
 * The distinct visitors of each site-local day (and of each page of it): a pass adds the visitors
 * of the events that arrived (`on conflict do nothing`) and counts only those that were new into
 * rollup_days and rollup_pages, so a day's visitors are never recounted from its events (unless
 * events were erased: see rollupDirty.rescan).
 */
export const rollupDayVisitors = analyticsSchema.table(
  "rollup_day_visitors",
  {
    siteId: uuid("site_id").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    visitorId: bigint("visitor_id", { mode: "bigint" }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.siteId, table.day, table.visitorId] })],
);

export const rollupPageVisitors = analyticsSchema.table(
  "rollup_page_visitors",
  {
    siteId: uuid("site_id").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    pathname: byteText("pathname").notNull(),
    visitorId: bigint("visitor_id", { mode: "bigint" }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.siteId, table.day, table.pathname, table.visitorId] })],
);

/** The distinct visitors of each UTC hour: a pass adds the hour's new events' visitors and counts only the new ones into rollup_hours. */
export const rollupHourVisitors = analyticsSchema.table(
  "rollup_hour_visitors",
  {
    siteId: uuid("site_id").notNull(),
    hour: timestamptz("hour").notNull(),
    visitorId: bigint("visitor_id", { mode: "bigint" }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.siteId, table.hour, table.visitorId] })],
);

/**
 * Each visit so far (counted in the hour it began): its events and its last event's time, so a
 * later event of the visit changes its hour's visits, bounces and duration by a difference.
 */
export const rollupVisits = analyticsSchema.table(
  "rollup_visits",
  {
    siteId: uuid("site_id").notNull(),
    visitStart: timestamptz("visit_start").notNull(),
    visitorId: bigint("visitor_id", { mode: "bigint" }).notNull(),
    events: integer("events").notNull(),
    lastTs: timestamptz("last_ts").notNull(),
  },
  (table) => [primaryKey({ columns: [table.siteId, table.visitStart, table.visitorId] })],
);

/**
 * What the events stored since the last pass add to the rollups, written by a trigger on
 * `analytics.events` in the storing statement (migrations 0017, 0018): per second, visitor, visit
 * and page (pageviews only, null for other events), the events and pageviews for their hour's
 * rollups, and for their visit's (counted in the hour it began) the events from that hour on and
 * the last one's time. A pass takes (deletes) the rows of its hours (by `ts`) and adds them, so its
 * cost follows what arrived, not the hour's size. Only inserted by writers, deleted by the pass,
 * and updated by a rescan (which zeroes the part its recount included). No index: the pass takes
 * its hours' rows in one scan joined by hash (the table holds what arrived since the last pass),
 * and the writers' inserts stay cheap.
 */
export const rollupPending = analyticsSchema.table("rollup_pending", {
  siteId: uuid("site_id").notNull(),
  /** The events' second (UTC). */
  ts: timestamptz("ts").notNull(),
  visitorId: bigint("visitor_id", { mode: "bigint" }),
  visitStart: timestamptz("visit_start"),
  pathname: byteText("pathname"),
  events: integer("events").notNull(),
  pageviews: integer("pageviews").notNull(),
  /** The events counted in the visit's figures (see rollupVisits), 0 for none. */
  visitEvents: integer("visit_events").notNull(),
  lastTs: timestamptz("last_ts").notNull(),
});

/**
 * Hours whose rollups are behind their events: marked in the writer's transaction (each mark bumps
 * `version`), cleared by the rollup pass that recomputed them only when not marked again meanwhile
 * (`version` unchanged), so an hour written during its recomputation is recomputed once more.
 */
export const rollupDirty = analyticsSchema.table(
  "rollup_dirty",
  {
    siteId: uuid("site_id").notNull(),
    hour: timestamptz("hour").notNull(),
    version: bigint("version", { mode: "number" }).notNull().default(1),
    /**
     * Events of the hour were deleted (a user's erasure): the local days it overlaps are rebuilt
     * from their events (the visitor sets only grow otherwise). A writer's new version keeps it.
     */
    rescan: boolean("rescan").notNull().default(false),
  },
  (table) => [primaryKey({ columns: [table.siteId, table.hour] })],
);

/** Users whose events this service erased (see erasedUsersTable): a late bus event or /track call about them stores nothing. */
export const analyticsErasedUsers = erasedUsersTable(analyticsSchema);

export const analyticsOutbox = outboxTable(analyticsSchema);
