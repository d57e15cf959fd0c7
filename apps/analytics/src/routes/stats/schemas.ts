import { z } from "@hono/zod-openapi";
import { errorResponses } from "@lodge/kit";
import { SHARE_HEADER } from "../../helpers/site-access";

/** The parameters of a stats query that are not filters (see parseFilters). */
export const PERIOD_PARAMS = ["period", "date", "from", "to", "share"] as const;

/** A share link's token in a header (or `?share=`). */
export const ShareHeader = z.object({ [SHARE_HEADER]: z.string().max(200).optional().openapi({ description: "A shared stats link's token" }) });

export const readerDescription = `Admins, the site's owner, or anyone with a live share link of the site (its token in \`${SHARE_HEADER}\` or \`?share=\`).`;
export const readerErrors = errorResponses(401, 403, 404);

const Compared = z.object({
  value: z.number(),
  previous: z.number().nullable().openapi({ description: "The previous period of the same length (null for realtime)" }),
  change: z.number().nullable().openapi({ description: "Percent change (bounceRate: points); null when the previous value is 0 or there is none" }),
});

const figures = {
  visitors: z.number().openapi({ description: "Distinct visitors; over several days, the sum of each day's (a visitor is a new one each day)" }),
  visits: z.number().openapi({ description: "Visits that began in the period (a visit ends after 30 minutes without events)" }),
  pageviews: z.number(),
  viewsPerVisit: z.number(),
  bounceRate: z.number().openapi({ description: "Percent of visits with a single event (one pageview, nothing else)" }),
  visitDuration: z.number().openapi({ description: "Mean visit length in seconds (first to last event)" }),
  events: z.number().openapi({ description: "All events, pageviews included" }),
};

const spanFields = {
  from: z.string().openapi({ description: "The period's first instant (ISO 8601)" }),
  to: z.string().openapi({ description: "The instant after its last" }),
};

export const Stats = z
  .object({
    ...spanFields,
    rolledUp: z.boolean().openapi({ description: "Read from the hourly rollups (unfiltered whole days) rather than the events" }),
    results: z.object(Object.fromEntries(Object.keys(figures).map((name) => [name, Compared])) as Record<keyof typeof figures, typeof Compared>),
  })
  .openapi("AnalyticsStats");

export const Timeseries = z
  .object({
    ...spanFields,
    interval: z.enum(["hour", "day", "week", "month"]),
    rolledUp: z.boolean(),
    results: z.array(
      z.object({
        date: z
          .string()
          .openapi({ description: "The bucket's start: an hour with its offset (2026-03-29T03:00:00+02:00), or a day, a week's Monday, a month's first day" }),
        ...figures,
      }),
    ),
  })
  .openapi("AnalyticsTimeseries");

export const BreakdownRow = z.object({
  value: z.string().nullable().openapi({ description: "null: not set (a direct visit, for sources and referrers)" }),
  visitors: z.number(),
  visits: z.number().optional(),
  pageviews: z.number().optional(),
  events: z.number().optional(),
});

export const Breakdown = z
  .object({
    ...spanFields,
    results: z.array(BreakdownRow),
    nextCursor: z.string().nullable().openapi({ description: "`cursor` of the next page; null on the last" }),
  })
  .openapi("AnalyticsBreakdown");

export const Realtime = z
  .object({
    ...spanFields,
    visitors: z.number().openapi({ description: "Distinct visitors with an event in the last 5 minutes" }),
    pages: z.array(BreakdownRow),
  })
  .openapi("AnalyticsRealtime");
