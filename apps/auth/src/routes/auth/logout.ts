import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv, ctxOf, errorResponses } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { logOutByRefreshToken } from "../../services/log-out-by-refresh-token";
import { revokeSession } from "../../services/revoke-session";
import { clearRefreshCookie, presentedRefreshToken } from "../cookies";
import { bearer, Token } from "../schemas";

export const logoutRoute = createRoute({
  method: "post",
  path: "/auth/logout",
  tags: ["auth"],
  summary: "Sign out: revoke the current session",
  description:
    "Identifies the session by the bearer token, or else by `{refreshToken}` or the refresh cookie. A refresh token spent more than 10 seconds earlier is reuse, as at refresh: 401 and the session is revoked as `refresh_reuse`.",
  security: bearer,
  request: { body: { required: false, content: { "application/json": { schema: z.object({ refreshToken: Token.optional() }).strict() } } } },
  responses: { 204: { description: "Signed out" }, ...errorResponses(401, 403) },
});

export const logout =
  (deps: AuthDeps): RouteHandler<typeof logoutRoute, AppEnv> =>
  async (c) => {
    const ctx = ctxOf(c, deps);
    const principal = await deps.guard.optionalPrincipal(c);
    if (principal) {
      if (principal.kind !== "user") throw new ApiError({ code: "FORBIDDEN", message: "Only for user sessions" });
      await revokeSession({ ctx, input: { userId: principal.userId, sessionId: principal.sessionId, reason: "logout" } });
    } else {
      const { refreshToken } = presentedRefreshToken(c, deps, c.req.valid("json")?.refreshToken);
      if (!refreshToken) throw new ApiError({ code: "UNAUTHORIZED", message: "Missing bearer or refresh token" });
      await logOutByRefreshToken({ ctx, input: { refreshToken } });
    }
    clearRefreshCookie(c, deps);
    return c.body(null, 204);
  };
