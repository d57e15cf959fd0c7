import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { registerUser } from "../../services/register-user";
import { setRefreshCookie } from "../cookies";
import { Email, Name, Password, TokenPair } from "../schemas";

export const registerRoute = createRoute({
  method: "post",
  path: "/auth/register",
  tags: ["auth"],
  summary: "Create an account and sign in",
  request: { body: jsonBody(z.object({ email: Email, password: Password, name: Name.optional() }).strict()) },
  responses: { 201: jsonResponse(TokenPair, "Signed in"), ...errorResponses(409, 429) },
});

export const register =
  (deps: AuthDeps): RouteHandler<typeof registerRoute, AppEnv> =>
  async (c) => {
    const result = await registerUser({ ctx: ctxOf(c, deps), input: c.req.valid("json") });
    setRefreshCookie(c, deps, result.refreshToken);
    return c.json(result, 201);
  };
