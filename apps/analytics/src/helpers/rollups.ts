import { type Db, queryRows, type Tx } from "@lodge/db";
import { type SQL, sql } from "drizzle-orm";

/** Held by a rollup batch's transaction: passes of several instances take turns instead of computing the same hours twice. */
const ROLLUP_LOCK = 7206555;

/**
 * Waits for a running rollup batch and keeps the next out until the transaction ends: what a
 * transaction deleting a site's rollups takes, so a batch that read the site's marks before the
 * delete cannot write its rows back after it.
 */
export async function holdRollups(tx: Pick<Tx, "execute">): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${ROLLUP_LOCK})`);
}

/** A dirty mark as read (the version as text: a bigint). */
type Mark = { site_id: string; hour: string; version: string; rescan: boolean };

/** The batch's marks as a relation, for each statement of the batch. */
const marksOf = (marks: readonly Mark[]) =>
  sql`(select * from json_to_recordset(${JSON.stringify(marks)}::json) as m(site_id uuid, hour timestamptz, version bigint, rescan boolean))`;

/**
 * Recomputes the rollups of dirty (site, hour) marks from the raw events, oldest hours first, in
 * batches of `batchHours` marks (one transaction each), at most `maxBatches` of them. A mark is
 * cleared only if its version is the one the batch read: an hour written (or erased) while it was
 * being recomputed stays dirty and is recomputed by the next pass. Batches of concurrent passes
 * (several instances) take turns on an advisory lock, so when `rollUp` returns every mark that was
 * there when it began has been recomputed at least once after its last write. Returns the marks
 * recomputed and cleared.
 *
 * Definitions (Plausible's): a visit counts in the hour it began; a bounce is a visit of a single
 * event (one pageview and nothing else); a visit's duration is from its first to its last event,
 * in whole seconds. `rollup_days` and `rollup_pages` are per site-local day (days in the site's
 * time zone; pages count pageviews only); they are kept up by the hours' differences (see
 * `recompute`), never recounted from a whole day's events, except for a mark's `rescan`.
 */
export async function rollUp(db: Db, options: { batchHours: number; maxBatches: number }): Promise<{ recomputed: number; cleared: number }> {
  let recomputed = 0;
  let cleared = 0;
  for (let batch = 0; batch < options.maxBatches; batch++) {
    const done = await db.transaction(async (tx) => {
      await holdRollups(tx);
      // The batch's statements are estimated from a relation of unknown size (the marks), often above
      // jit_above_cost: compiling them took seconds, more than running them.
      await tx.execute(sql`set local jit = off`);
      const marks = await queryRows<Mark>(
        tx,
        sql`select site_id, hour, version::text as version, rescan from analytics.rollup_dirty order by hour, site_id limit ${options.batchHours}`,
      );
      if (marks.length === 0) return true;
      await recompute(
        tx,
        marksOf(marks),
        marks.some((mark) => mark.rescan),
      );
      const [result] = await queryRows<{ cleared: number }>(
        tx,
        sql`with cleared as (
          delete from analytics.rollup_dirty d using ${marksOf(marks)} m
          where d.site_id = m.site_id and d.hour = m.hour and d.version = m.version returning 1
        ) select count(*)::int as cleared from cleared`,
      );
      recomputed += marks.length;
      cleared += result?.cleared ?? 0;
      return marks.length < options.batchHours;
    });
    if (done) break;
  }
  return { recomputed, cleared };
}

/** The marks with their site's time zone. */
const zonedOf = (marks: SQL) => sql`(select m.site_id, m.hour, m.rescan, zone.tz
  from ${marks} m cross join lateral (select coalesce((select time_zone from analytics.sites where id = m.site_id), 'UTC') as tz) zone)`;

/** The site-local days of rescan marks (two for an hour of a zone whose offset is not a whole hour), with their bounds. */
const rescanDaysOf = (marks: SQL) => sql`(select distinct m.site_id, m.tz, day.day,
    day.day::timestamp at time zone m.tz as starts, (day.day + 1)::timestamp at time zone m.tz as ends
  from ${zonedOf(marks)} m
  cross join lateral (values ((m.hour at time zone m.tz)::date), (((m.hour + interval '59 minutes 59.999999 seconds') at time zone m.tz)::date)) as day(day)
  where m.rescan)`;

/**
 * The hours' rows, and their differences into the local days' visitors and pages, from the events
 * as they are now. An hour's events only ever grow (the writer adds, never removes), so a day's
 * visitors are its visitor set's size: the pass adds the hour's visitors to the set and counts the
 * ones that were new; a page's pageviews change by the hour's new count less its previous one
 * (rollup_hour_pages). Events are removed only by a user's erasure (which marks the hours with
 * `rescan`: their days' rows and sets are deleted and every hour of those days recomputed, so the
 * days are counted again from nothing), a site's deletion and retention (which delete the rows).
 */
async function recompute(tx: Tx, marks: SQL, rescan: boolean) {
  if (rescan) {
    const days = rescanDaysOf(marks);
    await tx.execute(sql`with days as ${days},
      visitors as (delete from analytics.rollup_day_visitors r using days d where r.site_id = d.site_id and r.day = d.day),
      page_visitors as (delete from analytics.rollup_page_visitors r using days d where r.site_id = d.site_id and r.day = d.day),
      hour_pages as (
        delete from analytics.rollup_hour_pages r using days d
        where r.site_id = d.site_id and r.hour > d.starts - interval '1 hour' and r.hour < d.ends and r.day = d.day
      ),
      pages as (delete from analytics.rollup_pages r using days d where r.site_id = d.site_id and r.day = d.day)
      delete from analytics.rollup_days r using days d where r.site_id = d.site_id and r.day = d.day`);
  }
  // The marked hours, and every hour of a rescanned day.
  const hours = rescan
    ? sql`(select m.site_id, m.hour, m.tz from ${zonedOf(marks)} m
      union select d.site_id, hour, d.tz from ${rescanDaysOf(marks)} d
        cross join generate_series(date_trunc('hour', d.starts, 'UTC'), d.ends - interval '1 microsecond', interval '1 hour') as hour)`
    : zonedOf(marks);
  // Each hour's events are read once per index (ts, then visit_start), and grouped by hash per hour (lateral: a sort of
  // the whole batch by text would cost more than the read).
  await tx.execute(sql`with hours as ${hours},
    -- Per hour, visitor, local day and page (pageviews only; null for other events).
    scanned as materialized (
      select h.site_id, h.hour, s.day, s.visitor_id, s.pathname, s.events, s.pageviews
      from hours h cross join lateral (
        select (e.ts at time zone h.tz)::date as day, e.visitor_id, case when e.name = 'pageview' then e.pathname end as pathname,
          count(*)::int as events, (count(*) filter (where e.name = 'pageview'))::int as pageviews
        from analytics.events e where e.site_id = h.site_id and e.ts >= h.hour and e.ts < h.hour + interval '1 hour'
        group by 1, 2, 3
      ) s
    ),
    visits as (
      select h.site_id, h.hour, count(*)::int as visits, (count(*) filter (where visit.length = 1))::int as bounces,
        coalesce(sum(visit.seconds), 0)::bigint as duration
      from hours h cross join lateral (
        select count(*) as length, floor(extract(epoch from max(ts) - visit_start)) as seconds
        from analytics.events
        where site_id = h.site_id and visit_start >= h.hour and visit_start < h.hour + interval '1 hour' and ts >= h.hour and visitor_id is not null
        group by visitor_id, visit_start
      ) visit
      group by 1, 2
    ),
    counted as (
      select h.site_id, h.hour, coalesce(s.visitors, 0) as visitors, coalesce(v.visits, 0) as visits, coalesce(v.bounces, 0) as bounces,
        coalesce(v.duration, 0) as duration, coalesce(s.pageviews, 0) as pageviews, coalesce(s.events, 0) as events
      from hours h
      left join (
        select site_id, hour, count(distinct visitor_id)::int as visitors, sum(pageviews)::int as pageviews, sum(events)::int as events
        from scanned group by 1, 2
      ) s on s.site_id = h.site_id and s.hour = h.hour
      left join visits v on v.site_id = h.site_id and v.hour = h.hour
    ),
    stored_hours as (
      insert into analytics.rollup_hours (site_id, hour, visitors, visits, bounces, duration_seconds, pageviews, events)
      select site_id, hour, visitors, visits, bounces, duration, pageviews, events from counted where events > 0 or visits > 0
      on conflict (site_id, hour) do update set visitors = excluded.visitors, visits = excluded.visits, bounces = excluded.bounces,
        duration_seconds = excluded.duration_seconds, pageviews = excluded.pageviews, events = excluded.events
    ),
    emptied_hours as (
      delete from analytics.rollup_hours r using counted c where r.site_id = c.site_id and r.hour = c.hour and c.events = 0 and c.visits = 0
    ),
    hour_pages as (
      select site_id, hour, day, pathname, sum(pageviews)::int as pageviews from scanned where pathname is not null group by 1, 2, 3, 4
    ),
    -- What the hours' pages counted before (this statement's snapshot), for the days' differences.
    previous_pages as (
      select r.site_id, r.hour, r.day, r.pathname, r.pageviews from analytics.rollup_hour_pages r join hours h on r.site_id = h.site_id and r.hour = h.hour
    ),
    stored_hour_pages as (
      insert into analytics.rollup_hour_pages (site_id, hour, day, pathname, pageviews) select * from hour_pages
      on conflict (site_id, hour, day, pathname) do update set pageviews = excluded.pageviews
    ),
    new_day_visitors as (
      insert into analytics.rollup_day_visitors (site_id, day, visitor_id)
      select distinct site_id, day, visitor_id from scanned where visitor_id is not null
      on conflict do nothing returning site_id, day
    ),
    new_page_visitors as (
      insert into analytics.rollup_page_visitors (site_id, day, pathname, visitor_id)
      select distinct site_id, day, pathname, visitor_id from scanned where pathname is not null and visitor_id is not null
      on conflict do nothing returning site_id, day, pathname
    ),
    days as (
      insert into analytics.rollup_days (site_id, day, visitors) select site_id, day, count(*)::int from new_day_visitors group by 1, 2
      on conflict (site_id, day) do update set visitors = analytics.rollup_days.visitors + excluded.visitors
    ),
    page_changes as (
      select p.site_id, p.day, p.pathname, sum(p.pageviews - coalesce(b.pageviews, 0))::int as pageviews
      from hour_pages p left join previous_pages b on b.site_id = p.site_id and b.hour = p.hour and b.day = p.day and b.pathname = p.pathname
      group by 1, 2, 3
    )
    insert into analytics.rollup_pages (site_id, day, pathname, visitors, pageviews)
    select c.site_id, c.day, c.pathname, coalesce(n.visitors, 0), c.pageviews
    from page_changes c
    left join (select site_id, day, pathname, count(*)::int as visitors from new_page_visitors group by 1, 2, 3) n
      on n.site_id = c.site_id and n.day = c.day and n.pathname = c.pathname
    where c.pageviews <> 0 or n.visitors > 0
    on conflict (site_id, day, pathname) do update
      set visitors = analytics.rollup_pages.visitors + excluded.visitors, pageviews = analytics.rollup_pages.pageviews + excluded.pageviews`);
}

/**
 * After a site's time zone changed its local days are other days: deletes its days' rows and sets
 * and marks every hour it has events in (those rolled up and those waiting) for a rescan, so the
 * job counts its days again in the new zone. In the caller's transaction, which must hold the
 * rollups (`holdRollups`) before it changes the site.
 */
export async function recountDays(tx: Tx, siteId: string): Promise<void> {
  await tx.execute(sql`with visitors as (delete from analytics.rollup_day_visitors where site_id = ${siteId}),
    page_visitors as (delete from analytics.rollup_page_visitors where site_id = ${siteId}),
    hour_pages as (delete from analytics.rollup_hour_pages where site_id = ${siteId}),
    pages as (delete from analytics.rollup_pages where site_id = ${siteId})
    delete from analytics.rollup_days where site_id = ${siteId}`);
  await tx.execute(sql`insert into analytics.rollup_dirty (site_id, hour, rescan)
    select ${siteId}, hour, true from (
      select hour from analytics.rollup_hours where site_id = ${siteId} union select hour from analytics.rollup_dirty where site_id = ${siteId}
    ) hours
    on conflict (site_id, hour) do update set version = analytics.rollup_dirty.version + 1, rescan = true`);
}

/** How many (site, hour) marks wait for the rollups (the analytics_rollup_dirty_hours gauge). */
export async function dirtyHours(db: Db): Promise<number> {
  const [row] = await queryRows<{ count: number }>(db, sql`select count(*)::int as count from analytics.rollup_dirty`);
  return row?.count ?? 0;
}
