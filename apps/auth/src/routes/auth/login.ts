import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { logIn } from "../../services/log-in";
import { setRefreshCookie } from "../cookies";
import { Email, TokenPair } from "../schemas";

export const loginRoute = createRoute({
  method: "post",
  path: "/auth/login",
  tags: ["auth"],
  summary: "Sign in with email and password",
  description:
    "An unknown email and a wrong password get the same 401. 429 with Retry-After past the per-IP limits, or while the account's login wait runs (after 5 attempts from networks it has not signed in from, each further one waits 1 s, 2 s, 4 s, ... up to 15 minutes).",
  request: { body: jsonBody(z.object({ email: Email, password: z.string().min(1).max(256) }).strict()) },
  responses: { 200: jsonResponse(TokenPair, "Signed in"), ...errorResponses(401, 429) },
});

export const login =
  (deps: AuthDeps): RouteHandler<typeof loginRoute, AppEnv> =>
  async (c) => {
    const result = await logIn({ ctx: ctxOf(c, deps), input: c.req.valid("json") });
    setRefreshCookie(c, deps, result.refreshToken);
    return c.json(result, 200);
  };
