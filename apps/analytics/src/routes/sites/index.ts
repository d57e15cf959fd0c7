import { createRouter } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { create, createSiteRoute } from "./create";
import { deleteSiteRoute, remove } from "./delete";
import { get, getSiteRoute } from "./get";
import { list, listSitesRoute } from "./list";
import { update, updateSiteRoute } from "./update";

/** Sites, managed by admins. */
export function siteRoutes(deps: AnalyticsDeps) {
  const middleware = deps.guard.requireAdmin();
  const router = createRouter();
  router.openapi({ ...createSiteRoute, middleware }, create(deps));
  router.openapi({ ...listSitesRoute, middleware }, list(deps));
  router.openapi({ ...getSiteRoute, middleware }, get(deps));
  router.openapi({ ...updateSiteRoute, middleware }, update(deps));
  router.openapi({ ...deleteSiteRoute, middleware }, remove(deps));
  return router;
}
