import { createRouter } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { ban, banRoute } from "./ban";
import { changeRoleHandler, changeRoleRoute } from "./change-role";
import { EXPORT_SCOPE, exportHandler, exportRoute } from "./export";
import { unban, unbanRoute } from "./unban";
import { VERIFY_PASSWORD_SCOPE, verifyPassword, verifyPasswordRoute } from "./verify-password";

/** Admin operations on accounts, and the internal routes other services call with a client token. */
export function userRoutes(deps: AuthDeps) {
  const { requireAdmin, requireScope } = deps.guard;
  const router = createRouter();
  const admin = requireAdmin();
  router.openapi({ ...changeRoleRoute, middleware: admin }, changeRoleHandler(deps));
  router.openapi({ ...banRoute, middleware: admin }, ban(deps));
  router.openapi({ ...unbanRoute, middleware: admin }, unban(deps));
  router.openapi({ ...verifyPasswordRoute, middleware: requireScope(VERIFY_PASSWORD_SCOPE) }, verifyPassword(deps));
  router.openapi({ ...exportRoute, middleware: requireScope(EXPORT_SCOPE) }, exportHandler(deps));
  return router;
}
