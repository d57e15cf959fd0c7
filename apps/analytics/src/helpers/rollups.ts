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
type Mark = { site_id: string; hour: string; version: string };

/** The batch's marks as a relation, for each statement of the batch. */
const marksOf = (marks: readonly Mark[]) =>
  sql`(select * from json_to_recordset(${JSON.stringify(marks)}::json) as m(site_id uuid, hour timestamptz, version bigint))`;

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
 * in whole seconds. `rollup_days` and `rollup_pages` are recomputed for every site-local day a
 * dirty hour overlaps (days in the site's time zone; pages count pageviews only).
 */
export async function rollUp(db: Db, options: { batchHours: number; maxBatches: number }): Promise<{ recomputed: number; cleared: number }> {
  let recomputed = 0;
  let cleared = 0;
  for (let batch = 0; batch < options.maxBatches; batch++) {
    const done = await db.transaction(async (tx) => {
      await holdRollups(tx);
      const marks = await queryRows<Mark>(
        tx,
        sql`select site_id, hour, version::text as version from analytics.rollup_dirty order by hour, site_id limit ${options.batchHours}`,
      );
      if (marks.length === 0) return true;
      await recompute(tx, marksOf(marks));
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

/** The hours' rows, then the local days' visitors and pages, from the events as they are now. */
async function recompute(tx: Tx, marks: SQL) {
  await tx.execute(sql`delete from analytics.rollup_hours r using ${marks} m where r.site_id = m.site_id and r.hour = m.hour`);
  await tx.execute(sql`insert into analytics.rollup_hours (site_id, hour, visitors, visits, bounces, duration_seconds, pageviews, events)
    select m.site_id, m.hour, e.visitors, v.visits, v.bounces, v.duration, e.pageviews, e.events
    from ${marks} m
    cross join lateral (
      select count(distinct visitor_id)::int as visitors, (count(*) filter (where name = 'pageview'))::int as pageviews, count(*)::int as events
      from analytics.events where site_id = m.site_id and ts >= m.hour and ts < m.hour + interval '1 hour'
    ) e
    cross join lateral (
      select count(*)::int as visits, (count(*) filter (where length = 1))::int as bounces, coalesce(sum(seconds), 0)::bigint as duration
      from (
        select count(*) as length, floor(extract(epoch from max(ts) - visit_start)) as seconds
        from analytics.events
        where site_id = m.site_id and visit_start >= m.hour and visit_start < m.hour + interval '1 hour' and ts >= m.hour and visitor_id is not null
        group by visitor_id, visit_start
      ) visit
    ) v
    where e.events > 0 or v.visits > 0`);

  // The site-local days the hours overlap (two for a zone whose offset is not a whole hour), and their bounds.
  const days = sql`(select distinct m.site_id, day.day,
      day.day::timestamp at time zone zone.tz as starts, (day.day + 1)::timestamp at time zone zone.tz as ends
    from ${marks} m
    cross join lateral (select coalesce((select time_zone from analytics.sites where id = m.site_id), 'UTC') as tz) zone
    cross join lateral (values ((m.hour at time zone zone.tz)::date), (((m.hour + interval '59 minutes 59.999999 seconds') at time zone zone.tz)::date)) as day(day))`;
  await tx.execute(sql`delete from analytics.rollup_days r using ${days} d where r.site_id = d.site_id and r.day = d.day`);
  await tx.execute(sql`insert into analytics.rollup_days (site_id, day, visitors)
    select d.site_id, d.day, count(distinct e.visitor_id)::int
    from ${days} d join analytics.events e on e.site_id = d.site_id and e.ts >= d.starts and e.ts < d.ends
    group by d.site_id, d.day having count(e.visitor_id) > 0`);
  await tx.execute(sql`delete from analytics.rollup_pages r using ${days} d where r.site_id = d.site_id and r.day = d.day`);
  await tx.execute(sql`insert into analytics.rollup_pages (site_id, day, pathname, visitors, pageviews)
    select d.site_id, d.day, e.pathname, count(distinct e.visitor_id)::int, count(*)::int
    from ${days} d join analytics.events e on e.site_id = d.site_id and e.ts >= d.starts and e.ts < d.ends
    where e.name = 'pageview' and e.pathname is not null
    group by d.site_id, d.day, e.pathname`);
}

/** How many (site, hour) marks wait for the rollups (the analytics_rollup_dirty_hours gauge). */
export async function dirtyHours(db: Db): Promise<number> {
  const [row] = await queryRows<{ count: number }>(db, sql`select count(*)::int as count from analytics.rollup_dirty`);
  return row?.count ?? 0;
}
