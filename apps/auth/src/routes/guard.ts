import { ApiError, type AppEnv, type AuthGuardOptions, createAuthGuard, type Requirement } from "@lodge/kit";
import type { AuthDeps } from "../deps";
import { getCurrentSession } from "../services/get-current-session";

export function guardOptions(deps: AuthDeps): AuthGuardOptions {
  return {
    keys: deps.keys.verifier,
    issuer: deps.config.issuer,
    audience: deps.config.audience,
    revocations: deps.revocations,
    // Sessions are ours: while the revocation watch is behind, a token's session is read from the
    // database (a revoked one is refused there at once) rather than refusing every token with 503.
    confirmSession: async (session) => {
      await getCurrentSession({ ctx: { deps, logger: deps.logger }, input: session });
    },
    clock: deps.clock,
  };
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
