import { createRouter } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { script, scriptRoute } from "./script";

/** The tracker script, public. */
export function trackerRoutes(deps: AnalyticsDeps) {
  const router = createRouter();
  router.openapi(scriptRoute, script(deps));
  return router;
}
