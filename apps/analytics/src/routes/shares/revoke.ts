import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { revokeSiteShare } from "../../services/revoke-site-share";
import { bearer } from "../schemas";
import { ShareId } from "./schemas";

export const revokeShareRoute = createRoute({
  method: "delete",
  path: "/analytics/sites/{id}/shares/{shareId}",
  tags: ["shares"],
  summary: "Revoke a share link: it stops opening the stats at once (its owner or an admin; revoking twice is fine)",
  security: bearer,
  request: { params: ShareId },
  responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404) },
});

export const revoke =
  (deps: AnalyticsDeps): RouteHandler<typeof revokeShareRoute, AppEnv> =>
  async (c) => {
    const { id, shareId } = c.req.valid("param");
    await revokeSiteShare({ ctx: ctxOf(c, deps), input: { siteId: id, shareId, by: c.get("principal") } });
    return c.body(null, 204);
  };
