import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { listSiteShares } from "../../services/list-site-shares";
import { bearer, SiteId } from "../schemas";
import { Share, shareView } from "./schemas";

export const listSharesRoute = createRoute({
  method: "get",
  path: "/analytics/sites/{id}/shares",
  tags: ["shares"],
  summary: "The site's share links, newest first, revoked ones included (its owner or an admin; no tokens)",
  security: bearer,
  request: { params: SiteId },
  responses: { 200: jsonResponse(z.object({ shares: z.array(Share) }), "The links"), ...errorResponses(401, 403, 404) },
});

export const list =
  (deps: AnalyticsDeps): RouteHandler<typeof listSharesRoute, AppEnv> =>
  async (c) => {
    const rows = await listSiteShares({ ctx: ctxOf(c, deps), input: { siteId: c.req.valid("param").id, by: c.get("principal") } });
    return c.json({ shares: rows.map(shareView) }, 200);
  };
