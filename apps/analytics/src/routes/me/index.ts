import { createRouter } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { activity, activityRoute } from "./activity";

/** The signed-in user's own figures. */
export function meRoutes(deps: AnalyticsDeps) {
  const router = createRouter();
  router.openapi({ ...activityRoute, middleware: deps.guard.requireUser() }, activity(deps));
  return router;
}
