import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { deleteReminder } from "../../services/delete-reminder";
import { bearer } from "../schemas";

export const deleteReminderRoute = createRoute({
  method: "delete",
  path: "/notifications/reminders/{id}",
  tags: ["reminders"],
  summary: "Delete one of your reminders",
  security: bearer,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});

export const remove =
  (deps: NotificationDeps): RouteHandler<typeof deleteReminderRoute, AppEnv> =>
  async (c) => {
    await deleteReminder({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, id: c.req.valid("param").id } });
    return c.body(null, 204);
  };
