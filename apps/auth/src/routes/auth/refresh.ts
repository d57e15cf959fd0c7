import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { refreshSession } from "../../services/refresh-session";
import { clearRefreshCookie, presentedRefreshToken, setRefreshCookie } from "../cookies";
import { Token, TokenPair } from "../schemas";

export const refreshRoute = createRoute({
  method: "post",
  path: "/auth/refresh",
  tags: ["auth"],
  summary: "Exchange a refresh token for a new pair",
  description:
    "Send `{refreshToken}` or the `lodge_refresh` cookie. The token is spent. Presented again within 10 seconds (two tabs at once) it is answered with the session's current refresh token (the same one its rotation issued: a session never has two live refresh tokens) and a new access token; more than 10 seconds later it revokes the session. The access token keeps the session's `auth_time`.",
  request: { body: { required: false, content: { "application/json": { schema: z.object({ refreshToken: Token.optional() }).strict() } } } },
  responses: { 200: jsonResponse(TokenPair, "New token pair"), ...errorResponses(401, 403) },
});

export const refresh =
  (deps: AuthDeps): RouteHandler<typeof refreshRoute, AppEnv> =>
  async (c) => {
    const { refreshToken, fromCookie } = presentedRefreshToken(c, deps, c.req.valid("json")?.refreshToken);
    if (!refreshToken) throw new ApiError({ code: "UNAUTHORIZED", message: "Missing refresh token" });
    try {
      const result = await refreshSession({ ctx: ctxOf(c, deps), input: { refreshToken } });
      setRefreshCookie(c, deps, result.refreshToken);
      return c.json(result, 200);
    } catch (error) {
      if (fromCookie) clearRefreshCookie(c, deps);
      throw error;
    }
  };
