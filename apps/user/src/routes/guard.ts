import { createAuthGuard } from "@lodge/kit";
import type { UserDeps } from "../deps";

/** The kit's guard against auth's public keys, with the revoked-session list fed by auth's events. */
export function userGuard(deps: UserDeps) {
  const requireAuth = createAuthGuard({
    keys: deps.keys,
    issuer: deps.config.issuer,
    audience: deps.config.audience,
    revocations: deps.revocations,
    clock: deps.clock,
  });
  return {
    requireAuth,
    /** Signed-in users (a client token is refused with 403). */
    requireUser: () => requireAuth({ roles: ["user", "admin"] }),
    requireAdmin: () => requireAuth({ roles: ["admin"] }),
  };
}
