import { createRouter } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { exportUserData, exportUserRoute } from "./export-user";

/** The user service's fetch of the analytics service's part of a user's export. */
export function exportRoutes(deps: AnalyticsDeps) {
  const router = createRouter();
  router.openapi({ ...exportUserRoute, middleware: deps.guard.requireScope("analytics:export") }, exportUserData(deps));
  return router;
}
