import { ApiError, type AppEnv, authenticate, createAuthGuard, type Principal, requestCtx } from "@lodge/kit";
import type { Context } from "hono";
import type { Ctx, FileDeps } from "../deps";

/** The service-function context for this request. */
export function ctxOf(c: Context<AppEnv>, deps: FileDeps): Ctx {
  return requestCtx(c, deps);
}

/** The kit's guard against the auth service's JWKS (fetched once, cached, refetched for an unknown key). */
export function fileGuard(deps: FileDeps) {
  const options = { keys: deps.keys, issuer: deps.config.jwt.issuer, audience: deps.config.jwt.audience, revocations: deps.revocations, clock: deps.clock };
  const requireAuth = createAuthGuard(options);
  return {
    /** Any valid token: a user's, or a service client's (checked per file). */
    requireAuth,
    /** A signed-in user (a machine client holds no role, so it is refused). */
    requireUser: () => requireAuth({ roles: ["user", "admin"] }),
    /** The caller when a token was sent (401 for a bad one), undefined when none was. */
    optional: async (c: Context<AppEnv>): Promise<Principal | undefined> => {
      const header = c.req.header("authorization");
      return header ? authenticate(options, header) : undefined;
    },
  };
}

export function userIdOf(c: Context<AppEnv>): string {
  const principal = c.get("principal");
  if (principal.kind !== "user") throw new ApiError({ code: "FORBIDDEN", message: "Only for user sessions" });
  return principal.userId;
}
