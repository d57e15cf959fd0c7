import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, actingUserHeaders, actingUserOf, ctxOf, errorResponses } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { deleteReminder } from "../../services/delete-reminder";
import { bearer } from "../schemas";
import { forUser, REMINDERS_SCOPE } from "./schemas";

export const deleteReminderRoute = createRoute({
  method: "delete",
  path: "/notifications/reminders/{id}",
  tags: ["reminders"],
  summary: "Delete one of your reminders",
  description: `Another user's reminder is a 404, as a missing one. ${forUser}`,
  security: bearer,
  request: { headers: actingUserHeaders(REMINDERS_SCOPE), params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});

export const remove =
  (deps: NotificationDeps): RouteHandler<typeof deleteReminderRoute, AppEnv> =>
  async (c) => {
    await deleteReminder({ ctx: ctxOf(c, deps), input: { userId: actingUserOf(c, REMINDERS_SCOPE), id: c.req.valid("param").id } });
    return c.body(null, 204);
  };
