import { createRouter } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { getPreferencesRoute, readPreferences } from "./get";
import { putPreferencesRoute, writePreferences } from "./put";

export function preferenceRoutes(deps: NotificationDeps) {
  const middleware = deps.guard.requireUser();
  const router = createRouter();
  router.openapi({ ...getPreferencesRoute, middleware }, readPreferences(deps));
  router.openapi({ ...putPreferencesRoute, middleware }, writePreferences(deps));
  return router;
}
