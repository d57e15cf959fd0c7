import { createRouter } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { create, createReminderRoute } from "./create";
import { deleteReminderRoute, remove } from "./delete";
import { list, listRemindersRoute } from "./list";

/** A user's own reminders, or a `notifications:reminders` client's for the user it names (actingUserOf). */
export function reminderRoutes(deps: NotificationDeps) {
  const middleware = deps.guard.requireToken();
  const router = createRouter();
  router.openapi({ ...createReminderRoute, middleware }, create(deps));
  router.openapi({ ...listRemindersRoute, middleware }, list(deps));
  router.openapi({ ...deleteReminderRoute, middleware }, remove(deps));
  return router;
}
