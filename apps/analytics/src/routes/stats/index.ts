import { createRouter } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { breakdown, breakdownRoute, propertyBreakdown, propertyBreakdownRoute } from "./breakdown";
import { realtime, realtimeRoute } from "./realtime";
import { stats, statsRoute } from "./stats";
import { timeseries, timeseriesRoute } from "./timeseries";

/** A site's dashboard queries, for its readers (siteForReader: admins, its owner, a share link). */
export function statsRoutes(deps: AnalyticsDeps) {
  const router = createRouter();
  router.openapi(statsRoute, stats(deps));
  router.openapi(timeseriesRoute, timeseries(deps));
  // The property route first: `props` is not a dimension.
  router.openapi(propertyBreakdownRoute, propertyBreakdown(deps));
  router.openapi(breakdownRoute, breakdown(deps));
  router.openapi(realtimeRoute, realtime(deps));
  return router;
}
