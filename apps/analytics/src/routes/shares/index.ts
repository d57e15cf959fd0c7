import { createRouter } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { create, createShareRoute } from "./create";
import { list, listSharesRoute } from "./list";
import { revoke, revokeShareRoute } from "./revoke";

/** Read-only links to a site's stats, managed by its owner and admins (siteForOwner). */
export function shareRoutes(deps: AnalyticsDeps) {
  const middleware = deps.guard.requireUser();
  const router = createRouter();
  router.openapi({ ...createShareRoute, middleware }, create(deps));
  router.openapi({ ...listSharesRoute, middleware }, list(deps));
  router.openapi({ ...revokeShareRoute, middleware }, revoke(deps));
  return router;
}
