import { createRouter } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { getUserLimitsHandler, getUserLimitsRoute } from "./get-user-limits";
import { adminKeys, adminKeysRoute } from "./keys";
import { putUserLimitsHandler, putUserLimitsRoute } from "./put-user-limits";
import { adminUsage, adminUsageRoute } from "./usage";

/** Admins' view of every user's keys and usage, and per-user overrides of limits and budgets. */
export function adminRoutes(deps: AiDeps) {
  const middleware = deps.guard.requireAdmin();
  const router = createRouter();
  router.openapi({ ...adminKeysRoute, middleware }, adminKeys(deps));
  router.openapi({ ...adminUsageRoute, middleware }, adminUsage(deps));
  router.openapi({ ...getUserLimitsRoute, middleware }, getUserLimitsHandler(deps));
  router.openapi({ ...putUserLimitsRoute, middleware }, putUserLimitsHandler(deps));
  return router;
}
