import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { deleteSite } from "../../services/delete-site";
import { bearer, SiteId } from "../schemas";

export const deleteSiteRoute = createRoute({
  method: "delete",
  path: "/analytics/sites/{id}",
  tags: ["sites"],
  summary: "Delete a site with its events, rollups and share links (admins)",
  security: bearer,
  request: { params: SiteId },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 422) },
});

export const remove =
  (deps: AnalyticsDeps): RouteHandler<typeof deleteSiteRoute, AppEnv> =>
  async (c) => {
    await deleteSite({ ctx: ctxOf(c, deps), input: c.req.valid("param") });
    return c.body(null, 204);
  };
