import { z } from "@hono/zod-openapi";
import { userExportRoutes } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { exportUser } from "../../services/export-user";
import { Reminder } from "../reminders/schemas";
import { Delivery, Notification } from "../schemas";

const NotificationExport = z
  .object({
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
  })
  .openapi("NotificationExport");

/** What the user service fetches for a user's data export: everything this service holds about them. */
export function exportRoutes(deps: NotificationDeps) {
  return userExportRoutes(deps, {
    prefix: "/notifications",
    scope: "notifications:export",
    summary: "A user's notifications",
    data: NotificationExport,
    exportUser,
  });
}
