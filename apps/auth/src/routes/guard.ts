import { ApiError, type AppEnv, type AuthGuardOptions, createAuthGuard, type Requirement } from "@lodge/kit";
import type { AuthDeps } from "../deps";

export function guardOptions(deps: AuthDeps): AuthGuardOptions {
  return { keys: deps.keys.verifier, issuer: deps.config.issuer, audience: deps.config.audience, revocations: deps.revocations, clock: deps.clock };
}

/** The auth service's own guard: the kit's, against our key store directly (no JWKS round trip). */
export function authGuard(deps: AuthDeps) {
  const requireAuth = createAuthGuard(guardOptions(deps));
  return {
    requireAuth,
    /** A signed-in user (a machine client holds no role, so it is refused). */
    requireUser: (requirement: Requirement = {}) => requireAuth({ roles: requirement.roles ?? ["user", "admin"] }),
  };
}

export function userOf(c: { get: (key: "principal") => AppEnv["Variables"]["principal"] }) {
  const principal = c.get("principal");
  if (principal.kind !== "user") throw new ApiError({ code: "FORBIDDEN", message: "Only for user sessions" });
  return { userId: principal.userId, sessionId: principal.sessionId };
}
