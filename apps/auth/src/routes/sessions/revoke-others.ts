import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, userOf } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { revokeOtherSessions } from "../../services/revoke-other-sessions";
import { bearer } from "../schemas";

export const revokeOthersRoute = createRoute({
  method: "delete",
  path: "/auth/sessions",
  tags: ["sessions"],
  summary: "Revoke every session but the current one",
  security: bearer,
  responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403) },
});

export const revokeOthers =
  (deps: AuthDeps): RouteHandler<typeof revokeOthersRoute, AppEnv> =>
  async (c) => {
    await revokeOtherSessions({ ctx: ctxOf(c, deps), input: userOf(c) });
    return c.body(null, 204);
  };
