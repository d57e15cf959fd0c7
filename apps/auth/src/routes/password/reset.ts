import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { resetPassword } from "../../services/reset-password";
import { Password, Token } from "../schemas";

export const resetPasswordRoute = createRoute({
  method: "post",
  path: "/auth/password/reset",
  tags: ["password"],
  summary: "Set a new password with a reset token (every session is revoked)",
  request: { body: jsonBody(z.object({ token: Token, newPassword: Password }).strict()) },
  responses: { 204: { description: "Password set" }, ...errorResponses() },
});

export const reset =
  (deps: AuthDeps): RouteHandler<typeof resetPasswordRoute, AppEnv> =>
  async (c) => {
    await resetPassword({ ctx: ctxOf(c, deps), input: c.req.valid("json") });
    return c.body(null, 204);
  };
