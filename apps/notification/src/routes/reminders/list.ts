import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, actingUserHeaders, actingUserOf, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { reminderView } from "../../helpers/reminder-view";
import { listReminders } from "../../services/list-reminders";
import { bearer } from "../schemas";
import { forUser, REMINDERS_SCOPE, Reminder } from "./schemas";

export const listRemindersRoute = createRoute({
  method: "get",
  path: "/notifications/reminders",
  tags: ["reminders"],
  summary: "Your reminders, soonest first",
  description: forUser,
  security: bearer,
  request: { headers: actingUserHeaders(REMINDERS_SCOPE) },
  responses: { 200: jsonResponse(z.object({ reminders: z.array(Reminder) }), "Your reminders"), ...errorResponses(401, 403) },
});

export const list =
  (deps: NotificationDeps): RouteHandler<typeof listRemindersRoute, AppEnv> =>
  async (c) =>
    c.json({ reminders: (await listReminders({ ctx: ctxOf(c, deps), input: { userId: actingUserOf(c, REMINDERS_SCOPE) } })).map(reminderView) }, 200);
