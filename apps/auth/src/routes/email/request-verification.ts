import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, userOf } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { requestEmailVerification } from "../../services/request-email-verification";
import { bearer } from "../schemas";

export const requestVerificationRoute = createRoute({
  method: "post",
  path: "/auth/email/verification",
  tags: ["email"],
  summary: "Send a verification link to the user's email",
  description: "Publishes `auth.email_verification_requested` with a single-use token (24 hours). 409 if already verified.",
  security: bearer,
  responses: { 202: { description: "Accepted" }, ...errorResponses(401, 403, 409, 429) },
});

export const requestVerification =
  (deps: AuthDeps): RouteHandler<typeof requestVerificationRoute, AppEnv> =>
  async (c) => {
    await requestEmailVerification({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId } });
    return c.body(null, 202);
  };
