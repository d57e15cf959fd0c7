import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { INTERVALS, MAX_BUCKETS } from "../../helpers/buckets";
import { StatsQuery } from "../../helpers/filters";
import { resolvePeriod } from "../../helpers/periods";
import { getTimeseries } from "../../services/get-timeseries";
import { bearer, SiteId } from "../schemas";
import { readerRequest } from "./reader";
import { PERIOD_PARAMS, readerDescription, readerErrors, ShareHeader, Timeseries } from "./schemas";

export const timeseriesRoute = createRoute({
  method: "get",
  path: "/analytics/sites/{id}/timeseries",
  tags: ["stats"],
  summary: "Every figure of a site per hour, day, week or month of a period, in the site's time zone",
  description: `${readerDescription} Empty buckets are zeros; at most ${MAX_BUCKETS} buckets.`,
  security: bearer,
  request: {
    params: SiteId,
    query: StatsQuery.extend({
      interval: z.enum(INTERVALS).optional().openapi({ description: "Default: hour for a day, month for 12mo, day otherwise" }),
    }),
    headers: ShareHeader,
  },
  responses: { 200: jsonResponse(Timeseries, "One entry per bucket"), ...readerErrors },
});

export const timeseries =
  (deps: AnalyticsDeps): RouteHandler<typeof timeseriesRoute, AppEnv> =>
  async (c) => {
    const { ctx, site, filters } = await readerRequest(c, deps, [...PERIOD_PARAMS, "interval"]);
    const query = c.req.valid("query");
    const period = resolvePeriod(query, site.timeZone, deps.clock());
    return c.json(await getTimeseries({ ctx, input: { site, period, periodName: query.period, interval: query.interval, filters } }), 200);
  };
