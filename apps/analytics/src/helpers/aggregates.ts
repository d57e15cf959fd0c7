import { type Db, queryRows } from "@lodge/db";
import { type SQL, sql } from "drizzle-orm";
import { type Filter, filterSql } from "./filters";
import { type DayRange, startOfDay } from "./periods";

/** What one span of time (a period, a bucket) adds up to. */
export type Counts = { visitors: number; visits: number; bounces: number; duration: number; pageviews: number; events: number };

/** The figures the dashboard shows, derived from counts. */
export type Figures = {
  visitors: number;
  visits: number;
  pageviews: number;
  viewsPerVisit: number;
  /** Percent of visits that were bounces, rounded. */
  bounceRate: number;
  /** Mean visit length, whole seconds. */
  visitDuration: number;
  events: number;
};

export const NO_COUNTS: Counts = { visitors: 0, visits: 0, bounces: 0, duration: 0, pageviews: 0, events: 0 };

export function figuresOf(counts: Counts): Figures {
  const perVisit = (total: number) => (counts.visits === 0 ? 0 : total / counts.visits);
  return {
    visitors: counts.visitors,
    visits: counts.visits,
    pageviews: counts.pageviews,
    viewsPerVisit: Math.round(perVisit(counts.pageviews) * 100) / 100,
    bounceRate: Math.round(perVisit(counts.bounces) * 100),
    visitDuration: Math.round(perVisit(counts.duration)),
    events: counts.events,
  };
}

/** A span of a site's events: [from, to), and the site-local days it covers when it is whole days. */
export type Span = { siteId: string; from: Date; to: Date; days: DayRange | null };

/** The text key of the bucket a timestamp (or a rollup's hour or day) falls in; one key for a whole span's totals. */
export type Bucketing = { ofTime: (column: SQL) => SQL; ofDay: (column: SQL) => SQL; hourlyVisitors: boolean };
export const WHOLE: Bucketing = { ofTime: () => sql`'all'`, ofDay: () => sql`'all'`, hourlyVisitors: false };

const at = (instant: Date) => sql`${instant.toISOString()}::timestamptz`;

/**
 * Counts from the raw events per bucket, the events matching `filter`: visitors, pageviews and
 * events where the event falls; visits (those with a matching event) where the visit began, with
 * their bounces (single-event visits) and length (first to last event, whole seconds).
 */
export async function rawCounts(db: Db, span: Span, bucketing: Bucketing, filter: SQL): Promise<Map<string, Counts>> {
  const rows = await queryRows<Counts & { key: string; duration: string }>(
    db,
    sql`with happened as (
      select ${bucketing.ofTime(sql`ts`)} as key, count(distinct visitor_id)::int as visitors,
        (count(*) filter (where name = 'pageview'))::int as pageviews, count(*)::int as events
      from analytics.events where site_id = ${span.siteId} and ts >= ${at(span.from)} and ts < ${at(span.to)} and ${filter}
      group by 1
    ), began as (
      select ${bucketing.ofTime(sql`visit_start`)} as key, count(*)::int as visits, (count(*) filter (where length = 1))::int as bounces,
        coalesce(sum(seconds), 0)::bigint as duration
      from (
        select visit_start, count(*) as length, floor(extract(epoch from max(ts) - visit_start)) as seconds
        from analytics.events
        where site_id = ${span.siteId} and visit_start >= ${at(span.from)} and visit_start < ${at(span.to)} and ts >= ${at(span.from)} and visitor_id is not null
        group by visitor_id, visit_start having bool_or(${filter})
      ) visit
      group by 1
    )
    select coalesce(happened.key, began.key) as key, coalesce(visitors, 0) as visitors, coalesce(visits, 0) as visits, coalesce(bounces, 0) as bounces,
      coalesce(duration, 0)::text as duration, coalesce(pageviews, 0) as pageviews, coalesce(events, 0) as events
    from happened full join began on began.key = happened.key`,
  );
  return new Map(rows.map(({ key, ...counts }) => [key, { ...counts, duration: Number(counts.duration) }]));
}

/**
 * The same counts from the rollups (unfiltered queries of whole days whose bounds are whole UTC
 * hours): rollup_hours for everything but visitors, which come from rollup_hours per hour bucket and
 * otherwise from rollup_days, summed over the days (exact: the daily salt makes a visitor a new one
 * each site-local day).
 */
export async function rolledUpCounts(db: Db, span: Span & { days: DayRange }, bucketing: Bucketing): Promise<Map<string, Counts>> {
  const rows = await queryRows<Counts & { key: string; duration: string }>(
    db,
    sql`with hours as (
      select ${bucketing.ofTime(sql`hour`)} as key, sum(visitors)::int as visitors, sum(visits)::int as visits, sum(bounces)::int as bounces,
        sum(duration_seconds)::bigint as duration, sum(pageviews)::int as pageviews, sum(events)::int as events
      from analytics.rollup_hours where site_id = ${span.siteId} and hour >= ${at(span.from)} and hour < ${at(span.to)}
      group by 1
    ), days as (
      select ${bucketing.ofDay(sql`day`)} as key, sum(visitors)::int as visitors
      from analytics.rollup_days where site_id = ${span.siteId} and day >= ${span.days.first}::date and day <= ${span.days.last}::date
      group by 1
    )
    select coalesce(hours.key, days.key) as key, coalesce(${bucketing.hourlyVisitors ? sql`hours.visitors` : sql`days.visitors`}, 0) as visitors,
      coalesce(visits, 0) as visits, coalesce(bounces, 0) as bounces, coalesce(duration, 0)::text as duration,
      coalesce(pageviews, 0) as pageviews, coalesce(events, 0) as events
    from hours full join days on days.key = hours.key`,
  );
  return new Map(rows.map(({ key, ...counts }) => [key, { ...counts, duration: Number(counts.duration) }]));
}

/**
 * Whether the rollups answer a span exactly: it is whole site-local days, and every day of it
 * begins on a whole UTC hour (not so in zones whose offset is not a whole hour: India, Nepal, ...;
 * their queries read the events).
 */
export function rollupsFit(span: Span, timeZone: string): span is Span & { days: DayRange } {
  if (!span.days) return false;
  for (let day = Temporal.PlainDate.from(span.days.first); Temporal.PlainDate.compare(day, span.days.last) <= 0; day = day.add({ days: 1 })) {
    if (startOfDay(day, timeZone).getTime() % 3_600_000 !== 0) return false;
  }
  return span.to.getTime() % 3_600_000 === 0;
}

/** A span's counts per bucket: from the rollups when they answer it exactly and nothing is filtered, else from the events. */
export async function countsOf(db: Db, span: Span, timeZone: string, filters: readonly Filter[], bucketing: Bucketing = WHOLE) {
  const rolledUp = filters.length === 0 && rollupsFit(span, timeZone);
  const counts = rolledUp ? await rolledUpCounts(db, span, bucketing) : await rawCounts(db, span, bucketing, filterSql(filters));
  return { counts, rolledUp };
}
