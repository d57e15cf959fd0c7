import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { createSite } from "../../services/create-site";
import { bearer, Site, SiteCreate, siteView } from "../schemas";

export const createSiteRoute = createRoute({
  method: "post",
  path: "/analytics/sites",
  tags: ["sites"],
  summary: "Register a site (admins): its siteKey goes in the script tag",
  security: bearer,
  request: { body: jsonBody(SiteCreate) },
  responses: { 201: jsonResponse(Site, "The site, with its siteKey"), ...errorResponses(400, 401, 403, 409, 413, 415, 422) },
});

export const create =
  (deps: AnalyticsDeps): RouteHandler<typeof createSiteRoute, AppEnv> =>
  async (c) =>
    c.json(siteView(await createSite({ ctx: ctxOf(c, deps), input: c.req.valid("json") })), 201);
