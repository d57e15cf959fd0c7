import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv, jsonBody, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { PERIODS } from "../../helpers/periods";
import { computeSiteFunnel } from "../../services/compute-site-funnel";
import { bearer, SiteId } from "../schemas";
import { readerRequest } from "../stats/reader";
import { readerDescription, readerErrors, ShareHeader } from "../stats/schemas";
import { FunnelResult, SiteFunnelWindow, siteSteps } from "./schemas";

const Day = z.string().max(10);

export const siteFunnelRoute = createRoute({
  method: "post",
  path: "/analytics/sites/{id}/funnels",
  tags: ["stats"],
  summary: "A funnel over a site's visitors: ordered steps (pages with wildcards, events with properties), conversion and drop-off per step",
  description:
    "Each step counts the visitors who reached it after every step before it, in order, within one visit (`window: visit`, the default) " +
    "or with the last step at most the window after the first. A visitor is counted per day (the daily salt), so a funnel never spans a visitor's two days. " +
    readerDescription,
  security: bearer,
  request: {
    params: SiteId,
    query: z.object({ share: z.string().max(200).optional().openapi({ description: "A share link's token" }) }),
    headers: ShareHeader,
    body: jsonBody(
      z
        .object({
          steps: siteSteps,
          window: SiteFunnelWindow.default("visit"),
          period: z.enum(PERIODS).default("30d"),
          date: Day.optional().openapi({ description: "The day the period ends on (YYYY-MM-DD, the site's zone); today unless given" }),
          from: Day.optional().openapi({ description: "`custom`: the first day (YYYY-MM-DD)" }),
          to: Day.optional().openapi({ description: "`custom`: the last day (YYYY-MM-DD)" }),
        })
        .strict()
        .openapi("SiteFunnelQuery"),
    ),
  },
  responses: { 200: jsonResponse(FunnelResult(siteSteps.element).openapi("SiteFunnel"), "The funnel"), ...readerErrors },
});

export const siteFunnel =
  (deps: AnalyticsDeps): RouteHandler<typeof siteFunnelRoute, AppEnv> =>
  async (c) => {
    const { ctx, site, filters } = await readerRequest(c, deps, ["share"]);
    if (filters.length > 0) throw new ApiError({ code: "VALIDATION_FAILED", message: "Funnels take no filters: their steps say which events count" });
    const { steps, window, ...period } = c.req.valid("json");
    return c.json(await computeSiteFunnel({ ctx, input: { site, steps, window, period } }), 200);
  };
