import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { requestPasswordReset } from "../../services/request-password-reset";
import { Email } from "../schemas";

export const forgotPasswordRoute = createRoute({
  method: "post",
  path: "/auth/password/forgot",
  tags: ["password"],
  summary: "Request a password reset",
  description:
    "Always 202, whether or not the account exists, and whether or not the email's hourly limit is reached (past it nothing more is sent). Publishes `auth.password_reset_requested` with a single-use token (1 hour). 429 only when the caller's IP sends too many.",
  request: { body: jsonBody(z.object({ email: Email }).strict()) },
  responses: { 202: { description: "Accepted" }, ...errorResponses(429) },
});

export const forgot =
  (deps: AuthDeps): RouteHandler<typeof forgotPasswordRoute, AppEnv> =>
  async (c) => {
    await requestPasswordReset({ ctx: ctxOf(c, deps), input: c.req.valid("json") });
    return c.body(null, 202);
  };
