import { createRouter } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { productFunnel, productFunnelRoute } from "./product-funnel";
import { siteFunnel, siteFunnelRoute } from "./site-funnel";

/** Funnels: a site's (its readers) and over product events (admins). */
export function funnelRoutes(deps: AnalyticsDeps) {
  const router = createRouter();
  router.openapi(siteFunnelRoute, siteFunnel(deps));
  router.openapi({ ...productFunnelRoute, middleware: deps.guard.requireAdmin() }, productFunnel(deps));
  return router;
}
