import { createRouter } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { getUser, getUserRoute } from "./get";
import { searchUsers, searchUsersRoute } from "./search";
import { getSettings, getSettingsRoute, SETTINGS_SCOPE } from "./settings";

/** Mounted after the /users/me routes, which `/users/{id}` would otherwise shadow. */
export function usersRoutes(deps: UserDeps) {
  const { requireToken, requireAdmin, requireScope } = deps.guard;
  const router = createRouter();
  router.openapi({ ...searchUsersRoute, middleware: requireAdmin() }, searchUsers(deps));
  router.openapi({ ...getUserRoute, middleware: requireToken() }, getUser(deps));
  router.openapi({ ...getSettingsRoute, middleware: requireScope(SETTINGS_SCOPE) }, getSettings(deps));
  return router;
}
