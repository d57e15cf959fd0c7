import { ApiError, type AppEnv, type AuthGuardOptions, createAuthGuard, type Requirement } from "@lodge/kit";
import type { MiddlewareHandler } from "hono";
import type { AuthDeps } from "../deps";

export function guardOptions(deps: AuthDeps): AuthGuardOptions {
  return { keys: deps.keys.verifier, issuer: deps.config.issuer, audience: deps.config.audience, revocations: deps.revocations, clock: deps.clock };
}

/** The auth service's own guard: the kit's, against our key store directly (no JWKS round trip). */
export function authGuard(deps: AuthDeps) {
  const requireAuth = createAuthGuard(guardOptions(deps));
  return {
    requireAuth,
    /** A signed-in user (not a machine client). */
    requireUser: (requirement: Requirement = {}): MiddlewareHandler<AppEnv> => {
      const check = requireAuth({ roles: requirement.roles ?? ["user", "admin"] });
      return async (c, next) =>
        check(c, async () => {
          if (c.get("principal").kind !== "user") throw new ApiError({ code: "FORBIDDEN", message: "Only for user sessions" });
          await next();
        });
    },
  };
}

export function userOf(c: { get: (key: "principal") => AppEnv["Variables"]["principal"] }) {
  const principal = c.get("principal");
  if (principal.kind !== "user") throw new ApiError({ code: "FORBIDDEN", message: "Only for user sessions" });
  return { userId: principal.userId, sessionId: principal.sessionId };
}
