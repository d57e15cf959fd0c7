import { createRouter } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { productRetention, productRetentionRoute } from "./product-retention";
import { siteRetention, siteRetentionRoute } from "./site-retention";

/** Retention: users' cohorts by registration (admins); a site's visitors have none (its readers learn why). */
export function retentionRoutes(deps: AnalyticsDeps) {
  const router = createRouter();
  router.openapi({ ...productRetentionRoute, middleware: deps.guard.requireAdmin() }, productRetention(deps));
  router.openapi(siteRetentionRoute, siteRetention(deps));
  return router;
}
