import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, PageQuery } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { listSites } from "../../services/list-sites";
import { bearer, Site, siteView } from "../schemas";

export const SitePage = z.object({ sites: z.array(Site), nextCursor: z.uuid().nullable() }).openapi("AnalyticsSitePage");

export const listSitesRoute = createRoute({
  method: "get",
  path: "/analytics/sites",
  tags: ["sites"],
  summary: "Every site, newest first (admins)",
  security: bearer,
  request: { query: PageQuery },
  responses: { 200: jsonResponse(SitePage, "A page of sites"), ...errorResponses(400, 401, 403, 422) },
});

export const list =
  (deps: AnalyticsDeps): RouteHandler<typeof listSitesRoute, AppEnv> =>
  async (c) => {
    const page = await listSites({ ctx: ctxOf(c, deps), input: c.req.valid("query") });
    return c.json({ sites: page.rows.map(siteView), nextCursor: page.nextCursor }, 200);
  };
