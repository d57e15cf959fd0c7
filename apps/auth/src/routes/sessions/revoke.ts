import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, userOf } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { revokeSession } from "../../services/revoke-session";
import { bearer } from "../schemas";

export const revokeSessionRoute = createRoute({
  method: "delete",
  path: "/auth/sessions/{id}",
  tags: ["sessions"],
  summary: "Revoke one of the user's sessions",
  security: bearer,
  request: { params: z.object({ id: z.uuid() }) },
  responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404) },
});

export const revoke =
  (deps: AuthDeps): RouteHandler<typeof revokeSessionRoute, AppEnv> =>
  async (c) => {
    const { userId } = userOf(c);
    await revokeSession({ ctx: ctxOf(c, deps), input: { userId, sessionId: c.req.valid("param").id, reason: "revoked" } });
    return c.body(null, 204);
  };
