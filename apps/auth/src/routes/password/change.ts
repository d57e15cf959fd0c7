import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, userOf } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { changePassword } from "../../services/change-password";
import { bearer, Password } from "../schemas";

export const changePasswordRoute = createRoute({
  method: "post",
  path: "/auth/password/change",
  tags: ["password"],
  summary: "Change the password (other sessions are revoked)",
  description:
    "Needs the current password, which counts as a fresh sign-in: this session's `auth_time` becomes now (in the access tokens its next refresh issues).",
  security: bearer,
  request: { body: jsonBody(z.object({ currentPassword: z.string().min(1).max(256), newPassword: Password }).strict()) },
  responses: { 204: { description: "Changed" }, ...errorResponses(401, 403, 429) },
});

export const change =
  (deps: AuthDeps): RouteHandler<typeof changePasswordRoute, AppEnv> =>
  async (c) => {
    const { userId, sessionId } = userOf(c);
    await changePassword({ ctx: ctxOf(c, deps), input: { userId, sessionId, ...c.req.valid("json") } });
    return c.body(null, 204);
  };
