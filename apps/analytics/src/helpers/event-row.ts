import { type Db, queryRows } from "@lodge/db";
import { sql } from "drizzle-orm";

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

/**
 * `insertEventRows` for rows already in JSON (a JSON array of EventRow: the ingest stream's text,
 * passed on as it is). `liveSitesOnly`: a web event whose site no longer exists is skipped, and
 * the sites written to are locked (KEY SHARE) until the transaction ends, so a site deleted
 * meanwhile waits for this commit and then deletes these events too.
 */
export async function insertEventsJson(db: Db, json: string, options: { liveSitesOnly?: boolean } = {}): Promise<number> {
  const rows = sql`select * from json_populate_recordset(null::analytics.events, ${json}::json)`;
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
