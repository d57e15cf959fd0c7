import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, actingUserHeaders, actingUserOf, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import { channels } from "../../catalog/index";
import { ReminderText } from "../../catalog/reminders";
import type { NotificationDeps } from "../../deps";
import { reminderView } from "../../helpers/reminder-view";
import { createReminder } from "../../services/create-reminder";
import { bearer, IdempotencyKey } from "../schemas";
import { forUser, REMINDERS_SCOPE, Reminder } from "./schemas";

/** Reminders a user may create per minute. */
const CREATIONS_PER_MINUTE = 30;

const NewReminder = z
  .object({
    text: ReminderText,
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
    idempotencyKey: IdempotencyKey.optional().openapi({
      description: "The same key for the same user again answers the reminder it made (201, nothing created); with another body, 409",
    }),
  })
  .strict()
  .openapi("NewReminder");

export const createReminderRoute = createRoute({
  method: "post",
  path: "/notifications/reminders",
  tags: ["reminders"],
  summary: "Set a reminder, once or repeating, at a local time in your time zone",
  description: `The reminder is the user's: their time zone, their limits (${CREATIONS_PER_MINUTE} a minute, the most reminders one may have: 409). ${forUser}`,
  security: bearer,
  request: { headers: actingUserHeaders(REMINDERS_SCOPE), body: jsonBody(NewReminder) },
  responses: { 201: jsonResponse(Reminder, "Created"), ...errorResponses(401, 403, 404, 409, 429) },
});

export const create =
  (deps: NotificationDeps): RouteHandler<typeof createReminderRoute, AppEnv> =>
  async (c) => {
    const userId = actingUserOf(c, REMINDERS_SCOPE);
    await deps.limiter.hit(`notification-reminders:${userId}`, { max: CREATIONS_PER_MINUTE, windowSeconds: 60 });
    const row = await createReminder({ ctx: ctxOf(c, deps), input: { userId, ...c.req.valid("json") } });
    return c.json(reminderView(row), 201);
  };
