import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { StatsQuery } from "../../helpers/filters";
import { resolvePeriod } from "../../helpers/periods";
import { getStats } from "../../services/get-stats";
import { bearer, SiteId } from "../schemas";
import { readerRequest } from "./reader";
import { PERIOD_PARAMS, readerDescription, readerErrors, ShareHeader, Stats } from "./schemas";

export const statsRoute = createRoute({
  method: "get",
  path: "/analytics/sites/{id}/stats",
  tags: ["stats"],
  summary: "A site's visitors, visits, pageviews, views per visit, bounce rate, visit duration and events over a period, against the previous one",
  description: readerDescription,
  security: bearer,
  request: { params: SiteId, query: StatsQuery, headers: ShareHeader },
  responses: { 200: jsonResponse(Stats, "The figures"), ...readerErrors },
});

export const stats =
  (deps: AnalyticsDeps): RouteHandler<typeof statsRoute, AppEnv> =>
  async (c) => {
    const { ctx, site, filters } = await readerRequest(c, deps, PERIOD_PARAMS);
    const period = resolvePeriod(c.req.valid("query"), site.timeZone, deps.clock());
    return c.json(await getStats({ ctx, input: { site, period, filters } }), 200);
  };
