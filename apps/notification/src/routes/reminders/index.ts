import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, createRouter, ctxOf, errorResponses, jsonBody, jsonResponse, safeText, userOf } from "@lodge/kit";
import { channels } from "../../catalog/index";
import { REMINDER_TEXT_MAX } from "../../catalog/reminders";
import type { NotificationDeps } from "../../deps";
import { reminderView } from "../../helpers/reminder-view";
import { createReminder } from "../../services/create-reminder";
import { deleteReminder } from "../../services/delete-reminder";
import { listReminders } from "../../services/list-reminders";
import { bearer } from "../schemas";

export const Reminder = z
  .object({
    id: z.uuid(),
    text: z.string(),
    repeat: z.string().nullable().openapi({ description: "The RRULE it repeats on (`FREQ=DAILY`, ...); null: once" }),
    startsAt: z.string().openapi({ description: "The first occurrence's local time, in `timeZone`" }),
    timeZone: z.string(),
    channels: z.array(z.enum(channels)).nullable(),
    nextAt: z.string(),
    createdAt: z.string(),
  })
  .openapi("Reminder");

const NewReminder = z
  .object({
    text: safeText({ min: 1, max: REMINDER_TEXT_MAX, refuse: "controls", multiline: true, trim: "first" }),
    at: z
      .string()
      .max(40)
      .optional()
      .openapi({ description: "An ISO time with offset (`2026-12-24T09:00:00+01:00`) or a local time (`2026-12-24T09:00`) in your time zone" }),
    repeat: z
      .string()
      .min(1)
      .max(300)
      .optional()
      .openapi({ description: "`daily`, `weekdays`, `weekly`, `monthly`, or an RRULE (`FREQ=WEEKLY;BYDAY=MO,TH`), at most hourly" }),
    channels: z
      .array(z.enum(channels))
      .min(1)
      .max(channels.length * 2)
      .optional(),
  })
  .strict()
  .openapi("NewReminder");

const ReminderId = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

const createRoute_ = createRoute({
  method: "post",
  path: "/notifications/reminders",
  tags: ["reminders"],
  summary: "Set a reminder, once or repeating, at a local time in your time zone",
  security: bearer,
  request: { body: jsonBody(NewReminder) },
  responses: { 201: jsonResponse(Reminder, "Created"), ...errorResponses(401, 403, 409, 429) },
});

const listRoute = createRoute({
  method: "get",
  path: "/notifications/reminders",
  tags: ["reminders"],
  summary: "Your reminders, soonest first",
  security: bearer,
  responses: { 200: jsonResponse(z.object({ reminders: z.array(Reminder) }), "Your reminders"), ...errorResponses(401, 403) },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/notifications/reminders/{id}",
  tags: ["reminders"],
  summary: "Delete one of your reminders",
  security: bearer,
  request: { params: ReminderId },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});

const create =
  (deps: NotificationDeps): RouteHandler<typeof createRoute_, AppEnv> =>
  async (c) => {
    const { userId } = userOf(c);
    await deps.limiter.hit(`notification-reminders:${userId}`, { max: 30, windowSeconds: 60 });
    const row = await createReminder({ ctx: ctxOf(c, deps), input: { userId, ...c.req.valid("json") } });
    return c.json(reminderView(row), 201);
  };

const list =
  (deps: NotificationDeps): RouteHandler<typeof listRoute, AppEnv> =>
  async (c) =>
    c.json({ reminders: (await listReminders({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId } })).map(reminderView) }, 200);

const remove =
  (deps: NotificationDeps): RouteHandler<typeof deleteRoute, AppEnv> =>
  async (c) => {
    await deleteReminder({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, id: c.req.valid("param").id } });
    return c.body(null, 204);
  };

/** A user's own reminders. */
export function reminderRoutes(deps: NotificationDeps) {
  const middleware = deps.guard.requireUser();
  const router = createRouter();
  router.openapi({ ...createRoute_, middleware }, create(deps));
  router.openapi({ ...listRoute, middleware }, list(deps));
  router.openapi({ ...deleteRoute, middleware }, remove(deps));
  return router;
}
