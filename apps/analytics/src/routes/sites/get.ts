import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { getSite } from "../../services/get-site";
import { bearer, Site, SiteId, siteView } from "../schemas";

export const getSiteRoute = createRoute({
  method: "get",
  path: "/analytics/sites/{id}",
  tags: ["sites"],
  summary: "One site (admins)",
  security: bearer,
  request: { params: SiteId },
  responses: { 200: jsonResponse(Site, "The site"), ...errorResponses(400, 401, 403, 404, 422) },
});

export const get =
  (deps: AnalyticsDeps): RouteHandler<typeof getSiteRoute, AppEnv> =>
  async (c) =>
    c.json(siteView(await getSite({ ctx: ctxOf(c, deps), input: c.req.valid("param") })), 200);
