import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { updateSite } from "../../services/update-site";
import { bearer, Site, SiteId, SitePatch, siteView } from "../schemas";

export const updateSiteRoute = createRoute({
  method: "patch",
  path: "/analytics/sites/{id}",
  tags: ["sites"],
  summary: "Change a site's fields (admins); its siteKey stays",
  security: bearer,
  request: { params: SiteId, body: jsonBody(SitePatch) },
  responses: { 200: jsonResponse(Site, "The site as it is now"), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422) },
});

export const update =
  (deps: AnalyticsDeps): RouteHandler<typeof updateSiteRoute, AppEnv> =>
  async (c) =>
    c.json(siteView(await updateSite({ ctx: ctxOf(c, deps), input: { id: c.req.valid("param").id, changes: c.req.valid("json") } })), 200);
