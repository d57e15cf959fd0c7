import { createRouter } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { cancelScheduled, cancelScheduledRoute } from "./cancel-scheduled";
import { listScheduled, listScheduledRoute } from "./list-scheduled";
import { send, sendRoute } from "./send";

/** Sends from service clients (scope notifications:send) and admins, and their scheduled sends. */
export function sendRoutes(deps: NotificationDeps) {
  const { requireAdmin, requireAdminOrScope } = deps.guard;
  const router = createRouter();
  router.openapi({ ...sendRoute, middleware: requireAdminOrScope("notifications:send") }, send(deps));
  router.openapi({ ...listScheduledRoute, middleware: requireAdmin() }, listScheduled(deps));
  router.openapi({ ...cancelScheduledRoute, middleware: requireAdminOrScope("notifications:send") }, cancelScheduled(deps));
  return router;
}
