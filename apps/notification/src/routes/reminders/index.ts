import { createRouter } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { create, createReminderRoute } from "./create";
import { deleteReminderRoute, remove } from "./delete";
import { list, listRemindersRoute } from "./list";

/** A user's own reminders. */
export function reminderRoutes(deps: NotificationDeps) {
  const middleware = deps.guard.requireUser();
  const router = createRouter();
  router.openapi({ ...createReminderRoute, middleware }, create(deps));
  router.openapi({ ...listRemindersRoute, middleware }, list(deps));
  router.openapi({ ...deleteReminderRoute, middleware }, remove(deps));
  return router;
}
