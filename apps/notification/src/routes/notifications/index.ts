import { createRouter } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { deleteRoute, remove } from "./delete";
import { get, getRoute } from "./get";
import { list, listRoute } from "./list";
import { markAllRead, readAllRoute } from "./read-all";
import { unreadCount, unreadCountRoute } from "./unread-count";
import { update, updateRoute } from "./update";

export function notificationRoutes(deps: NotificationDeps) {
  const middleware = deps.guard.requireUser();
  const router = createRouter();
  // Literal segments before /notifications/{id}.
  router.openapi({ ...unreadCountRoute, middleware }, unreadCount(deps));
  router.openapi({ ...readAllRoute, middleware }, markAllRead(deps));
  router.openapi({ ...listRoute, middleware }, list(deps));
  router.openapi({ ...getRoute, middleware }, get(deps));
  router.openapi({ ...updateRoute, middleware }, update(deps));
  router.openapi({ ...deleteRoute, middleware }, remove(deps));
  return router;
}
