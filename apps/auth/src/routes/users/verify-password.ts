import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { verifyUserPassword } from "../../services/verify-user-password";
import { bearer } from "../schemas";
import { UserIdParams } from "./params";

export const VERIFY_PASSWORD_SCOPE = "auth:verify_password";

export const verifyPasswordRoute = createRoute({
  method: "post",
  path: "/auth/users/{id}/password/verify",
  tags: ["internal"],
  summary: "Check a user's password (service clients with `auth:verify_password`)",
  description:
    "For another service confirming a sensitive action on the user's behalf (account deletion). Rate limited per user like login; failures are audited.",
  security: bearer,
  request: { params: UserIdParams, body: jsonBody(z.object({ password: z.string().min(1).max(256) }).strict()) },
  responses: { 200: jsonResponse(z.object({ valid: z.boolean() }), "Whether the password is the user's"), ...errorResponses(401, 403, 404, 429) },
});

export const verifyPassword =
  (deps: AuthDeps): RouteHandler<typeof verifyPasswordRoute, AppEnv> =>
  async (c) => {
    const principal = c.get("principal");
    if (principal.kind !== "client") throw new ApiError({ code: "FORBIDDEN", message: "Only for service clients" });
    const input = { userId: c.req.valid("param").id, password: c.req.valid("json").password, clientId: principal.clientId };
    return c.json(await verifyUserPassword({ ctx: ctxOf(c, deps), input }), 200);
  };
