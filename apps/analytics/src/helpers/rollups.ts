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
 * Brings the rollups of dirty (site, hour) marks up to their events, oldest hours first, in
 * batches of `batchHours` marks (one transaction each), at most `maxBatches` of them. A mark is
 * cleared only if its version is the one the batch read: an hour written (or erased) while it was
 * being rolled up stays dirty and is rolled up by the next pass. Batches of concurrent passes
 * (several instances) take turns on an advisory lock, so when `rollUp` returns every mark that was
 * there when it began has been rolled up at least once after its last write. Returns the marks
 * rolled up and cleared.
 *
 * Definitions (Plausible's): a visit counts in the hour it began; a bounce is a visit of a single
 * event (one pageview and nothing else); a visit's duration is from its first to its last event,
 * in whole seconds. `rollup_days` and `rollup_pages` are per site-local day (days in the site's
 * time zone; pages count pageviews only). A pass adds what the events stored since the last one
 * add (`addPending`), never recounting an hour from its events, except for a mark's `rescan`
 * (`rescanDays`).
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
      if (marks.some((mark) => mark.rescan)) await rescanDays(tx, marksOf(marks));
      await addPending(tx, marksOf(marks));
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

/** Every UTC hour of the rescan marks' days, with the site's time zone. */
const rescanHoursOf = (marks: SQL) => sql`(select distinct d.site_id, hour, d.tz from ${rescanDaysOf(marks)} d
  cross join generate_series(date_trunc('hour', d.starts, 'UTC'), d.ends - interval '1 microsecond', interval '1 hour') as hour)`;

/**
 * The day's and the page's visitor sets take the visitors of `source` (site_id, day, pathname,
 * visitor_id): one new to a day's set counts once on its day (`rollup_days`), and `new_page_visitors`
 * names those new to a page's, for the statement's pages. The rows go in in their keys' order: each
 * index insert then lands next to the last one (a month's rescan 12.2 → 10.3 s of Postgres CPU).
 */
const daySets = (source: SQL) => sql`new_day_visitors as (
      insert into analytics.rollup_day_visitors (site_id, day, visitor_id)
      select distinct site_id, day, visitor_id from ${source} where visitor_id is not null order by 1, 2, 3
      on conflict do nothing returning site_id, day
    ),
    new_page_visitors as (
      insert into analytics.rollup_page_visitors (site_id, day, pathname, visitor_id)
      select distinct site_id, day, pathname, visitor_id from ${source} where pathname is not null and visitor_id is not null order by 1, 2, 3, 4
      on conflict do nothing returning site_id, day, pathname
    ),
    days as (
      insert into analytics.rollup_days (site_id, day, visitors) select site_id, day, count(*)::int from new_day_visitors group by 1, 2
      on conflict (site_id, day) do update set visitors = analytics.rollup_days.visitors + excluded.visitors
    )`;

/**
 * Adds what the events stored since the last pass add to the rollups of the marks' hours: the
 * pending rows (`rollup_pending`, per second, visitor, visit and page, written with the events)
 * of those hours are taken and added as differences. A visitor
 * new to the hour's, the day's or the page's set adds one visitor (`on conflict do nothing …
 * returning`); a visit's new events change its hour's visits (a visit not seen before), bounces
 * (a visit of one event) and duration (to its last event) by the difference from what the visit
 * was (`rollup_visits`). Exact because events only ever grow between rescans (the writer adds,
 * never removes) and each pending row is added once (taken in the statement that adds it). The
 * writer marks the hour of every event it stores, so every pending row is under a mark; its visit's
 * part goes to the visit's first hour whichever hours the batch holds.
 */
async function addPending(tx: Tx, marks: SQL) {
  // The pending rows are taken by their hour (an equality, joined by hash: a range join to the marks compared every row with every mark).
  await tx.execute(sql`with marked as (select distinct site_id, hour from ${marks} m),
    taken as (
      delete from analytics.rollup_pending p using marked m
      where p.site_id = m.site_id and date_trunc('hour', p.ts, 'UTC') = m.hour
      returning p.site_id, p.ts, p.visitor_id, p.visit_start, p.pathname, p.events, p.pageviews, p.visit_events, p.last_ts
    ),
    -- Per hour, local day, visitor and page.
    arrived as materialized (
      select p.site_id, date_trunc('hour', p.ts, 'UTC') as hour, (p.ts at time zone coalesce(s.time_zone, 'UTC'))::date as day,
        p.visitor_id, p.pathname, sum(p.events)::int as events, sum(p.pageviews)::int as pageviews
      from taken p left join analytics.sites s on s.id = p.site_id
      where p.events > 0
      group by 1, 2, 3, 4, 5
    ),
    new_hour_visitors as (
      insert into analytics.rollup_hour_visitors (site_id, hour, visitor_id)
      select distinct site_id, hour, visitor_id from arrived where visitor_id is not null
      on conflict do nothing returning site_id, hour
    ),
    ${daySets(sql.raw("arrived"))},
    hour_pages as (
      insert into analytics.rollup_hour_pages (site_id, hour, day, pathname, pageviews)
      select site_id, hour, day, pathname, sum(pageviews)::int from arrived where pathname is not null group by 1, 2, 3, 4
      on conflict (site_id, hour, day, pathname) do update set pageviews = analytics.rollup_hour_pages.pageviews + excluded.pageviews
    ),
    pages as (
      insert into analytics.rollup_pages (site_id, day, pathname, visitors, pageviews)
      select c.site_id, c.day, c.pathname, coalesce(n.visitors, 0), c.pageviews
      from (select site_id, day, pathname, sum(pageviews)::int as pageviews from arrived where pathname is not null group by 1, 2, 3) c
      left join (select site_id, day, pathname, count(*)::int as visitors from new_page_visitors group by 1, 2, 3) n
        on n.site_id = c.site_id and n.day = c.day and n.pathname = c.pathname
      on conflict (site_id, day, pathname) do update
        set visitors = analytics.rollup_pages.visitors + excluded.visitors, pageviews = analytics.rollup_pages.pageviews + excluded.pageviews
    ),
    visits_arrived as materialized (
      select site_id, visit_start, visitor_id, sum(visit_events)::int as events, max(last_ts) as last_ts from taken where visit_events > 0 group by 1, 2, 3
    ),
    -- The visits as they were (this statement's snapshot), for the hours' differences.
    visits_before as (
      select v.site_id, v.visit_start, v.visitor_id, v.events, v.last_ts
      from analytics.rollup_visits v join visits_arrived a using (site_id, visit_start, visitor_id)
    ),
    stored_visits as (
      insert into analytics.rollup_visits (site_id, visit_start, visitor_id, events, last_ts) select * from visits_arrived
      on conflict (site_id, visit_start, visitor_id) do update
        set events = analytics.rollup_visits.events + excluded.events, last_ts = greatest(analytics.rollup_visits.last_ts, excluded.last_ts)
    ),
    visit_changes as (
      select a.site_id, date_trunc('hour', a.visit_start, 'UTC') as hour,
        count(*) filter (where b.events is null) as visits,
        sum((coalesce(b.events, 0) + a.events = 1)::int - coalesce((b.events = 1)::int, 0)) as bounces,
        sum(floor(extract(epoch from greatest(b.last_ts, a.last_ts) - a.visit_start)) - coalesce(floor(extract(epoch from b.last_ts - a.visit_start)), 0)) as duration
      from visits_arrived a left join visits_before b using (site_id, visit_start, visitor_id)
      group by 1, 2
    ),
    hour_changes as (
      select site_id, hour, sum(visitors)::int as visitors, sum(visits)::int as visits, sum(bounces)::int as bounces,
        sum(duration)::bigint as duration, sum(pageviews)::int as pageviews, sum(events)::int as events
      from (
        select site_id, hour, count(*) as visitors, 0 as visits, 0 as bounces, 0 as duration, 0 as pageviews, 0 as events from new_hour_visitors group by 1, 2
        union all select site_id, hour, 0, 0, 0, 0, sum(pageviews), sum(events) from arrived group by 1, 2
        union all select site_id, hour, 0, visits, bounces, duration, 0, 0 from visit_changes
      ) changes
      group by 1, 2
    )
    insert into analytics.rollup_hours (site_id, hour, visitors, visits, bounces, duration_seconds, pageviews, events)
    select * from hour_changes
    on conflict (site_id, hour) do update set visitors = analytics.rollup_hours.visitors + excluded.visitors,
      visits = analytics.rollup_hours.visits + excluded.visits, bounces = analytics.rollup_hours.bounces + excluded.bounces,
      duration_seconds = analytics.rollup_hours.duration_seconds + excluded.duration_seconds,
      pageviews = analytics.rollup_hours.pageviews + excluded.pageviews, events = analytics.rollup_hours.events + excluded.events`);
}

/**
 * Counts the rescan marks' local days again from their events (after a user's erasure removed
 * some, or a site's new time zone): their days' rows and sets, and the hours' rows, visitor sets
 * and visits, are deleted and recounted from the events as they are now, and the parts of the
 * pending rows that recount includes are dropped in the same statement (one snapshot). An
 * hour's visit figures come from every event of the visits that began in it, so a visit's other
 * hours need no recount (an erasure marks its first hour too).
 */
async function rescanDays(tx: Tx, marks: SQL) {
  const days = rescanDaysOf(marks);
  const hours = rescanHoursOf(marks);
  await tx.execute(sql`with days as ${days}, hours as ${hours},
    visitors as (delete from analytics.rollup_day_visitors r using days d where r.site_id = d.site_id and r.day = d.day),
    page_visitors as (delete from analytics.rollup_page_visitors r using days d where r.site_id = d.site_id and r.day = d.day),
    hour_pages as (
      delete from analytics.rollup_hour_pages r using days d
      where r.site_id = d.site_id and r.hour > d.starts - interval '1 hour' and r.hour < d.ends and r.day = d.day
    ),
    hour_visitors as (delete from analytics.rollup_hour_visitors r using hours h where r.site_id = h.site_id and r.hour = h.hour),
    visits as (
      delete from analytics.rollup_visits r using hours h
      where r.site_id = h.site_id and r.visit_start >= h.hour and r.visit_start < h.hour + interval '1 hour'
    ),
    pages as (delete from analytics.rollup_pages r using days d where r.site_id = d.site_id and r.day = d.day)
    delete from analytics.rollup_days r using days d where r.site_id = d.site_id and r.day = d.day`);
  // Each hour's events are read once per index (ts, then visit_start), and grouped by hash per hour (lateral: a sort of
  // the whole batch by text would cost more than the read).
  await tx.execute(sql`with hours as ${hours},
    -- Per hour, visitor, local day and page (pageviews only; null for other events); pages compared as the rollups' keys (byte order).
    scanned as materialized (
      select h.site_id, h.hour, s.day, s.visitor_id, s.pathname, s.events, s.pageviews
      from hours h cross join lateral (
        select (e.ts at time zone h.tz)::date as day, e.visitor_id, case when e.name = 'pageview' then e.pathname collate "C" end as pathname,
          count(*)::int as events, (count(*) filter (where e.name = 'pageview'))::int as pageviews
        from analytics.events e where e.site_id = h.site_id and e.ts >= h.hour and e.ts < h.hour + interval '1 hour'
        group by 1, 2, 3
      ) s
    ),
    visits as materialized (
      select h.site_id, h.hour, visit.visitor_id, visit.visit_start, visit.length, visit.last_ts
      from hours h cross join lateral (
        select visitor_id, visit_start, count(*)::int as length, max(ts) as last_ts
        from analytics.events
        where site_id = h.site_id and visit_start >= h.hour and visit_start < h.hour + interval '1 hour' and ts >= h.hour and visitor_id is not null
        group by visitor_id, visit_start
      ) visit
    ),
    stored_visits as (
      insert into analytics.rollup_visits (site_id, visit_start, visitor_id, events, last_ts)
      select site_id, visit_start, visitor_id, length, last_ts from visits
    ),
    hour_visits as (
      select site_id, hour, count(*)::int as visits, (count(*) filter (where length = 1))::int as bounces,
        coalesce(sum(floor(extract(epoch from last_ts - visit_start))), 0)::bigint as duration
      from visits group by 1, 2
    ),
    stored_hour_visitors as (
      insert into analytics.rollup_hour_visitors (site_id, hour, visitor_id)
      select distinct site_id, hour, visitor_id from scanned where visitor_id is not null
    ),
    -- The pending rows' parts this recount includes: a row of these hours goes unless its visit began in another hour
    -- (then only its hour's part is zeroed); a row of another hour whose visit began in these loses its visit's part.
    taken as (
      delete from analytics.rollup_pending p using hours h
      where p.site_id = h.site_id and date_trunc('hour', p.ts, 'UTC') = h.hour
        and (p.visit_events = 0 or exists (select from hours v where v.site_id = p.site_id and v.hour = date_trunc('hour', p.visit_start, 'UTC')))
    ),
    hour_part_counted as (
      update analytics.rollup_pending p set events = 0, pageviews = 0 from hours h
      where p.site_id = h.site_id and date_trunc('hour', p.ts, 'UTC') = h.hour
        and p.visit_events > 0 and not exists (select from hours v where v.site_id = p.site_id and v.hour = date_trunc('hour', p.visit_start, 'UTC'))
    ),
    visit_part_counted as (
      update analytics.rollup_pending p set visit_events = 0 from hours h
      where p.site_id = h.site_id and date_trunc('hour', p.visit_start, 'UTC') = h.hour
        and p.visit_events > 0 and not exists (select from hours t where t.site_id = p.site_id and t.hour = date_trunc('hour', p.ts, 'UTC'))
    ),
    counted as (
      select h.site_id, h.hour, coalesce(s.visitors, 0) as visitors, coalesce(v.visits, 0) as visits, coalesce(v.bounces, 0) as bounces,
        coalesce(v.duration, 0) as duration, coalesce(s.pageviews, 0) as pageviews, coalesce(s.events, 0) as events
      from hours h
      left join (
        select site_id, hour, count(distinct visitor_id)::int as visitors, sum(pageviews)::int as pageviews, sum(events)::int as events
        from scanned group by 1, 2
      ) s on s.site_id = h.site_id and s.hour = h.hour
      left join hour_visits v on v.site_id = h.site_id and v.hour = h.hour
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
    -- What the hours' pages counted before (this statement's snapshot), for the days' differences: an hour at
    -- the edge of a rescanned day (a zone whose offset is not a whole hour) also holds a day that is not.
    previous_pages as (
      select r.site_id, r.hour, r.day, r.pathname, r.pageviews from analytics.rollup_hour_pages r join hours h on r.site_id = h.site_id and r.hour = h.hour
    ),
    stored_hour_pages as (
      insert into analytics.rollup_hour_pages (site_id, hour, day, pathname, pageviews) select * from hour_pages
      on conflict (site_id, hour, day, pathname) do update set pageviews = excluded.pageviews
    ),
    ${daySets(sql.raw("scanned"))},
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
