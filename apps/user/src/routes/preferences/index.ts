import { createRouter } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { getPreferencesHandler, getPreferencesRoute } from "./get";
import { putPreferencesHandler, putPreferencesRoute } from "./put";

export function preferencesRoutes(deps: UserDeps) {
  const middleware = deps.guard.requireUser();
  const router = createRouter();
  router.openapi({ ...getPreferencesRoute, middleware }, getPreferencesHandler(deps));
  router.openapi({ ...putPreferencesRoute, middleware }, putPreferencesHandler(deps));
  return router;
}
