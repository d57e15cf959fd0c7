import { createRouter } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { track, trackRoute } from "./track";

/** Product events sent by the frontend (a signed-in user) or by services (analytics:track). */
export function trackRoutes(deps: AnalyticsDeps) {
  const router = createRouter();
  router.openapi({ ...trackRoute, middleware: deps.guard.requireToken() }, track(deps));
  return router;
}
