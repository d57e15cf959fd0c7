import { type CopyValue, copyRow, type Db, queryRows } from "@lodge/db";
import { type SQL, sql } from "drizzle-orm";

/**
 * One event as it waits in the ingest stream and as `analytics.events` stores it: the table's row
 * in JSON, keyed by its column names, so a batch goes to Postgres as one JSON parameter without
 * being reshaped. Web events carry a site, a visitor and a visit; product events a user.
 */
export type EventRow = {
  /** UUIDv7 chosen at ingest: with `ts`, the row's identity (a batch written twice stays one set of rows). */
  id: string;
  /** ISO 8601, UTC. */
  ts: string;
  site_id: string | null;
  user_id: string | null;
  name: string;
  /** A signed 64-bit integer in decimal (JSON numbers lose its precision). */
  visitor_id: string | null;
  /** ISO 8601: when the visit began. */
  visit_start: string | null;
  hostname: string | null;
  pathname: string | null;
  referrer: string | null;
  source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_content: string | null;
  utm_term: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
  screen_width: number | null;
  props: Record<string, string>;
};

/**
 * Stores events in one statement, skipping those already stored (same id and ts), and marks the
 * hours they touch dirty for the rollups (the event's hour and its visit's first hour: a visit's
 * figures count where it began). Run inside the transaction that acknowledges them, or alone.
 * Returns how many rows were new.
 */
export async function insertEventRows(db: Db, rows: readonly EventRow[]): Promise<number> {
  return rows.length === 0 ? 0 : insertEventsJson(db, JSON.stringify(rows));
}

/** `insertEventRows` for rows in JSON (a JSON array of EventRow). Postgres reads it with `json_populate_recordset` (slow: ~30k rows/s; the writer COPYs). */
async function insertEventsJson(db: Db, json: string): Promise<number> {
  return insertEventsFrom(db, sql`select * from json_populate_recordset(null::analytics.events, ${json}::json)`, {});
}

/**
 * `liveSitesOnly`: a web event whose site no longer exists is skipped, and the sites written to
 * are locked (KEY SHARE) until the transaction ends, so a site deleted meanwhile waits for this
 * commit and then deletes these events too.
 */
export type InsertOptions = { liveSitesOnly?: boolean };

/** The staging table a writer's transaction COPYs a batch into (`createStagingTable` makes it), read by `insertStagedEvents`. */
const STAGING = "ingest_rows";

/** The columns of `analytics.events` in the table's order: a COPY row's fields. */
export const EVENT_COLUMNS = [
  "id",
  "ts",
  "site_id",
  "user_id",
  "name",
  "visitor_id",
  "visit_start",
  "hostname",
  "pathname",
  "referrer",
  "source",
  "utm_medium",
  "utm_campaign",
  "utm_content",
  "utm_term",
  "browser",
  "os",
  "device",
  "screen_width",
  "props",
] as const satisfies readonly (keyof EventRow)[];

/** Creates the transaction's staging table, shaped as `analytics.events` (no keys: duplicates are settled by the insert), gone at its end. */
export const createStagingTable = (tx: Db) => tx.execute(sql.raw(`create temp table ${STAGING} (like analytics.events) on commit drop`));

/** Where a batch's rows of `eventCopyRow` are COPYed: straight into the events, or into the staging table. */
export const EVENTS_COPY_TARGET = `analytics.events (${EVENT_COLUMNS.join(", ")})`;
export const STAGED_COPY_TARGET = `${STAGING} (${EVENT_COLUMNS.join(", ")})`;

/** `insertEventRows` for the rows COPYed into this transaction's staging table. */
export const insertStagedEvents = (tx: Db, options: InsertOptions = {}) => insertEventsFrom(tx, sql.raw(`select * from ${STAGING}`), options);

/** A refusal of data as Postgres refuses it (class 22): the writer drops the entry alone, as it does what Postgres refuses. */
const refusedEntry = () => Object.assign(new Error("A stream entry is not a JSON array of events"), { code: "22P02" });

const fieldOf = (value: unknown): CopyValue =>
  value === undefined || value === null ? null : typeof value === "object" ? JSON.stringify(value) : (value as string | number);

/**
 * One event as a row of COPY's text format, its fields in `EVENT_COLUMNS`' order (what the tests
 * and the JSON stream of before queue; the ingest writes its rows with `webEventRows`).
 */
export const eventCopyRow = (row: EventRow): string => copyRow(EVENT_COLUMNS.map((column) => fieldOf(row[column])));

/** The rows of a JSON array of EventRow (a stream entry queued as JSON), checked to be objects. */
export function parseEventRows(json: string): EventRow[] {
  let rows: unknown;
  try {
    rows = JSON.parse(json);
  } catch {
    throw refusedEntry();
  }
  if (!Array.isArray(rows) || rows.some((row) => typeof row !== "object" || row === null)) throw refusedEntry();
  return rows as EventRow[];
}

const HOUR_MS = 3_600_000;

/** The start of the UTC hour holding `ms`, in ISO 8601: how a dirty hour is named. */
export const hourStartOf = (ms: number): string => new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString();

/**
 * The rollup hours storing `rows` marks dirty, each once, as `<site id> <hour in ISO 8601>`: for
 * each web event its hour and its visit's first hour (UTC), as `insertEventsFrom` marks them.
 * A time that is not one is left out (Postgres refuses its row anyway).
 */
export function dirtyHours(rows: readonly Pick<EventRow, "site_id" | "ts" | "visit_start">[]): string[] {
  const hours = new Set<string>();
  for (const { site_id: siteId, ts, visit_start: visitStart } of rows) {
    if (siteId === null || siteId === undefined) continue;
    for (const at of [ts, visitStart]) {
      const ms = typeof at === "string" ? Date.parse(at) : Number.NaN;
      if (!Number.isNaN(ms)) hours.add(`${siteId} ${hourStartOf(ms)}`);
    }
  }
  return [...hours];
}

/**
 * For events COPYed straight into `analytics.events` in this transaction: locks their sites
 * (KEY SHARE, as `liveSitesOnly` does) and marks `hours` (of `dirtyHours`) dirty. Returns false
 * when a site is gone: the caller rolls back and stores the batch the careful way.
 */
export async function markCopiedEvents(tx: Db, hours: readonly string[]): Promise<boolean> {
  const [result] = await queryRows<{ live: boolean }>(
    tx,
    sql`with marks as (
      select split_part(mark, ' ', 1)::uuid as site_id, split_part(mark, ' ', 2)::timestamptz as hour
      from unnest(string_to_array(${hours.join(",")}, ',')) as mark
    ), live as (
      select id from analytics.sites where id in (select site_id from marks) for key share
    ), marked as (
      insert into analytics.rollup_dirty (site_id, hour)
      select site_id, hour from marks where site_id in (select id from live)
      on conflict (site_id, hour) do update set version = analytics.rollup_dirty.version + 1
    )
    select (select count(*) from live) = (select count(distinct site_id) from marks) as live`,
  );
  return result?.live === true;
}

/** The one statement storing events from `rows` (a select of analytics.events' columns in order) and marking their hours dirty. */
async function insertEventsFrom(db: Db, rows: SQL, options: InsertOptions): Promise<number> {
  const [result] = await queryRows<{ inserted: number }>(
    db,
    sql`with rows as (${rows}), inserted as (
      insert into analytics.events
      select * from rows
      ${
        options.liveSitesOnly
          ? sql`where rows.site_id is null or rows.site_id in (
              select id from analytics.sites where id in (select distinct site_id from rows) for key share
            )`
          : sql``
      }
      on conflict do nothing
      returning site_id, ts, visit_start
    ), marked as (
      insert into analytics.rollup_dirty (site_id, hour)
      select distinct inserted.site_id, date_trunc('hour', touched.at, 'UTC')
      from inserted cross join lateral (values (inserted.ts), (inserted.visit_start)) as touched(at)
      where inserted.site_id is not null and touched.at is not null
      on conflict (site_id, hour) do update set version = analytics.rollup_dirty.version + 1
    )
    select count(*)::int as inserted from inserted`,
  );
  return result?.inserted ?? 0;
}
