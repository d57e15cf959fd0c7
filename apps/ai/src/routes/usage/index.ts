import { createRouter } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { limits, limitsRoute } from "./limits";
import { usage, usageRoute } from "./usage";

/** What a caller has used and may still use; any caller of /ai/v1 (see callerOf), so a script with an API key can check its own. */
export function usageRoutes(deps: AiDeps) {
  const router = createRouter();
  router.openapi(usageRoute, usage(deps));
  router.openapi(limitsRoute, limits(deps));
  return router;
}
