import { type Db, queryRows } from "@lodge/db";
import { type SQL, sql } from "drizzle-orm";
import type { Span } from "./aggregates";

/** What a breakdown groups by (`breakdown/props/{key}` groups by a property's values). */
export const DIMENSIONS = [
  "pages",
  "entry-pages",
  "exit-pages",
  "sources",
  "referrers",
  "utm-medium",
  "utm-campaign",
  "utm-content",
  "utm-term",
  "browsers",
  "os",
  "devices",
  "screen-sizes",
  "events",
] as const;
export type Dimension = (typeof DIMENSIONS)[number] | { property: string };

/** One value of a breakdown: null is "not set" (a direct visit for sources and referrers). */
export type BreakdownRow = { value: string | null; visitors: number; visits?: number; pageviews?: number; events?: number };
type Field = "visits" | "pageviews" | "events";

/** Screen widths in CSS pixels: mobile < 576, tablet < 992, laptop < 1440, desktop. */
const screenSize = sql`case when screen_width is null then null when screen_width < 576 then 'mobile' when screen_width < 992 then 'tablet'
  when screen_width < 1440 then 'laptop' else 'desktop' end`;

/** Per dimension grouped over events: the value, which events count, and the figures shown. */
const byEvent: Record<Exclude<Dimension, "entry-pages" | "exit-pages" | { property: string }>, { value: SQL; where: SQL; fields: Field[] }> = {
  pages: { value: sql`pathname`, where: sql`name = 'pageview' and pathname is not null`, fields: ["pageviews"] },
  sources: { value: sql`source`, where: sql`true`, fields: ["visits", "pageviews", "events"] },
  referrers: { value: sql`referrer`, where: sql`true`, fields: ["visits", "pageviews", "events"] },
  "utm-medium": { value: sql`utm_medium`, where: sql`utm_medium is not null`, fields: ["visits", "pageviews", "events"] },
  "utm-campaign": { value: sql`utm_campaign`, where: sql`utm_campaign is not null`, fields: ["visits", "pageviews", "events"] },
  "utm-content": { value: sql`utm_content`, where: sql`utm_content is not null`, fields: ["visits", "pageviews", "events"] },
  "utm-term": { value: sql`utm_term`, where: sql`utm_term is not null`, fields: ["visits", "pageviews", "events"] },
  browsers: { value: sql`browser`, where: sql`true`, fields: ["visits", "pageviews", "events"] },
  os: { value: sql`os`, where: sql`true`, fields: ["visits", "pageviews", "events"] },
  devices: { value: sql`device`, where: sql`true`, fields: ["visits", "pageviews", "events"] },
  "screen-sizes": { value: screenSize, where: sql`true`, fields: ["visits", "pageviews", "events"] },
  events: { value: sql`name`, where: sql`name <> 'pageview'`, fields: ["events"] },
};

export type Page = { offset: number; limit: number };

const at = (instant: Date) => sql`${instant.toISOString()}::timestamptz`;
/** A page of grouped rows, by visitors, then the next figure, then the value (byte order: the same on every database). */
const paged = (rows: SQL, page: Page) =>
  sql`select * from (${rows}) grouped order by visitors desc, 3 desc, value collate "C" asc nulls last limit ${page.limit} offset ${page.offset}`;

/**
 * One page of a breakdown, sorted by visitors (then the next figure, then the value). Pages come
 * from rollup_pages when `rolledUp` (unfiltered whole days): visitors summed over days, exact under
 * the daily salt. Entry and exit pages are the first and last pageview of the visits that began
 * in the span (and have an event matching the filters).
 */
export async function breakdownRows(db: Db, span: Span, dimension: Dimension, filter: SQL, page: Page, rolledUp: boolean): Promise<BreakdownRow[]> {
  if (dimension === "pages" && rolledUp && span.days) {
    return queryRows<BreakdownRow>(
      db,
      paged(
        sql`select pathname as value, sum(visitors)::int as visitors, sum(pageviews)::int as pageviews
        from analytics.rollup_pages where site_id = ${span.siteId} and day >= ${span.days.first}::date and day <= ${span.days.last}::date
        group by 1`,
        page,
      ),
    );
  }
  if (dimension === "entry-pages" || dimension === "exit-pages") {
    return queryRows<BreakdownRow>(
      db,
      paged(
        sql`select value, count(distinct visitor_id)::int as visitors, count(*)::int as visits from (
          select visitor_id, (array_agg(pathname order by ts ${dimension === "entry-pages" ? sql`asc` : sql`desc`})
            filter (where name = 'pageview' and pathname is not null))[1] as value
          from analytics.events
          where site_id = ${span.siteId} and visit_start >= ${at(span.from)} and visit_start < ${at(span.to)} and ts >= ${at(span.from)} and visitor_id is not null
          group by visitor_id, visit_start having bool_or(${filter})
        ) visit where value is not null group by 1`,
        page,
      ),
    );
  }
  const { value, where, fields } =
    typeof dimension === "object"
      ? { value: sql`props ->> ${dimension.property}`, where: sql`props ? ${dimension.property}`, fields: ["visits", "pageviews", "events"] as Field[] }
      : byEvent[dimension];
  const figures: Record<Field, SQL> = {
    visits: sql`(count(distinct (visitor_id, visit_start)) filter (where visitor_id is not null))::int as visits`,
    pageviews: sql`(count(*) filter (where name = 'pageview'))::int as pageviews`,
    events: sql`count(*)::int as events`,
  };
  return queryRows<BreakdownRow>(
    db,
    paged(
      sql`select ${value} as value, count(distinct visitor_id)::int as visitors, ${sql.join(
        fields.map((field) => figures[field]),
        sql`, `,
      )}
      from analytics.events
      where site_id = ${span.siteId} and ts >= ${at(span.from)} and ts < ${at(span.to)} and ${where} and ${filter}
      group by 1`,
      page,
    ),
  );
}
