import { createRouter } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { deleteMe, deleteMeRoute } from "./delete";
import { exportMe, exportMeRoute } from "./export";
import { getMe, getMeRoute } from "./get";
import { updateMe, updateMeRoute } from "./update";

export function meRoutes(deps: UserDeps) {
  const middleware = deps.guard.requireUser();
  const router = createRouter();
  // The profile is also read by a `users:preferences` client for the user it names (actingUserOf).
  router.openapi({ ...getMeRoute, middleware: deps.guard.requireToken() }, getMe(deps));
  router.openapi({ ...updateMeRoute, middleware }, updateMe(deps));
  router.openapi({ ...deleteMeRoute, middleware }, deleteMe(deps));
  router.openapi({ ...exportMeRoute, middleware }, exportMe(deps));
  return router;
}
