import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { exportUser } from "../../services/export-user";
import { Reminder } from "../reminders/schemas";
import { bearer, Delivery, Notification } from "../schemas";

export const exportRoute = createRoute({
  method: "get",
  path: "/notifications/export/{userId}",
  tags: ["internal"],
  summary: "A user's notifications for the GDPR export (service clients with notifications:export)",
  security: bearer,
  request: { params: z.object({ userId: z.uuid() }) },
  responses: {
    200: jsonResponse(
      z.object({
        userId: z.uuid(),
        recipient: z
          .object({
            email: z.string().nullable(),
            locale: z.string().nullable(),
            timeZone: z.string().nullable(),
            settings: z.unknown().openapi({ description: "The user service's channel settings and quiet hours, as last heard (null: its defaults)" }),
          })
          .nullable(),
        categoryPreferences: z.array(z.object({ category: z.string(), channel: z.string(), enabled: z.boolean() })),
        pushSubscriptions: z.array(z.object({ endpoint: z.string(), createdAt: z.string() })),
        devices: z.array(z.object({ fcmToken: z.string(), platform: z.enum(["android", "ios", "web"]), createdAt: z.string() })),
        telegram: z.object({ chatId: z.number().int(), linkedAt: z.string() }).nullable(),
        notifications: z.array(Notification.extend({ deliveries: z.array(Delivery) })),
        reminders: z.array(Reminder),
        scheduled: z.array(z.object({ id: z.uuid(), type: z.string(), data: z.unknown(), sendAt: z.string() })),
      }),
      "Everything the notification service holds about the user",
    ),
    ...errorResponses(401, 403),
  },
});

export const exportNotifications =
  (deps: NotificationDeps): RouteHandler<typeof exportRoute, AppEnv> =>
  async (c) =>
    c.json(await exportUser({ ctx: ctxOf(c, deps), input: { userId: c.req.valid("param").userId } }), 200);
