import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { verifyEmail } from "../../services/verify-email";
import { Token } from "../schemas";

export const verifyEmailRoute = createRoute({
  method: "post",
  path: "/auth/email/verify",
  tags: ["email"],
  summary: "Confirm an email address with the token from the link",
  request: { body: jsonBody(z.object({ token: Token }).strict()) },
  responses: { 204: { description: "Verified" }, ...errorResponses() },
});

export const verify =
  (deps: AuthDeps): RouteHandler<typeof verifyEmailRoute, AppEnv> =>
  async (c) => {
    await verifyEmail({ ctx: ctxOf(c, deps), input: c.req.valid("json") });
    return c.body(null, 204);
  };
