import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { StatsQuery } from "../../helpers/filters";
import { getRealtime } from "../../services/get-realtime";
import { bearer, SiteId } from "../schemas";
import { readerRequest } from "./reader";
import { Realtime, readerDescription, readerErrors, ShareHeader } from "./schemas";

export const realtimeRoute = createRoute({
  method: "get",
  path: "/analytics/sites/{id}/realtime",
  tags: ["stats"],
  summary: "Visitors on the site in the last 5 minutes, and the pages they view most",
  description: readerDescription,
  security: bearer,
  request: { params: SiteId, query: StatsQuery.omit({ period: true, date: true, from: true, to: true }), headers: ShareHeader },
  responses: { 200: jsonResponse(Realtime, "Visitors now"), ...readerErrors },
});

export const realtime =
  (deps: AnalyticsDeps): RouteHandler<typeof realtimeRoute, AppEnv> =>
  async (c) => {
    const { ctx, site, filters } = await readerRequest(c, deps, ["share"]);
    return c.json(await getRealtime({ ctx, input: { site, filters } }), 200);
  };
