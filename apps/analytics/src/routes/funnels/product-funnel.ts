import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { FunnelWindow } from "../../helpers/funnel";
import { DayParam, TimeZoneParam } from "../../helpers/local-days";
import { computeProductFunnel } from "../../services/compute-product-funnel";
import { bearer } from "../schemas";
import { FunnelResult, productSteps } from "./schemas";

export const productFunnelRoute = createRoute({
  method: "post",
  path: "/analytics/funnels",
  tags: ["product events"],
  summary: "A funnel over users' product events (admins): ordered event steps with optional properties, conversion and drop-off per step",
  description:
    "Each step counts the users who had the event after every step before it, in order, the last at most the window after the first. " +
    "`from` and `to` are local days in `timeZone` (both or neither: the last 30 days).",
  security: bearer,
  request: {
    body: jsonBody(
      z
        .object({
          steps: productSteps,
          window: FunnelWindow.default("30d"),
          from: DayParam.optional(),
          to: DayParam.optional(),
          timeZone: TimeZoneParam,
        })
        .strict()
        .openapi("ProductFunnelQuery"),
    ),
  },
  responses: { 200: jsonResponse(FunnelResult(productSteps.element).openapi("ProductFunnel"), "The funnel"), ...errorResponses(401, 403) },
});

export const productFunnel =
  (deps: AnalyticsDeps): RouteHandler<typeof productFunnelRoute, AppEnv> =>
  async (c) =>
    c.json(await computeProductFunnel({ ctx: ctxOf(c, deps), input: c.req.valid("json") }), 200);
