import { createRouter } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { getPreferencesHandler, getPreferencesRoute } from "./get";
import { putPreferencesHandler, putPreferencesRoute } from "./put";

/** A user's own preferences, or a `users:preferences` client's for the user it names (actingUserOf). */
export function preferencesRoutes(deps: UserDeps) {
  const middleware = deps.guard.requireToken();
  const router = createRouter();
  router.openapi({ ...getPreferencesRoute, middleware }, getPreferencesHandler(deps));
  router.openapi({ ...putPreferencesRoute, middleware }, putPreferencesHandler(deps));
  return router;
}
