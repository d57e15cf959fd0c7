import {
  categoryPreferences,
  deliveries,
  fcmDevices,
  notifications,
  pushSubscriptions,
  recipients,
  reminders,
  scheduledSends,
  telegramLinks,
} from "@lodge/db/schema";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { reminderView } from "../helpers/reminder-view";
import { deliveryView, notificationView } from "../helpers/views";

/**
 * What the service holds about the user, for the user service's GDPR export: the address and
 * settings copy, the category choices, push subscriptions, devices, Telegram link, every
 * notification and its deliveries, their reminders and the sends scheduled to them.
 */
export async function exportUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db } = ctx.deps;
  const [recipient] = await db.select().from(recipients).where(eq(recipients.userId, input.userId));
  const choices = await db.select().from(categoryPreferences).where(eq(categoryPreferences.userId, input.userId));
  const subscriptions = await db.select().from(pushSubscriptions).where(eq(pushSubscriptions.userId, input.userId)).orderBy(asc(pushSubscriptions.id));
  const devices = await db.select().from(fcmDevices).where(eq(fcmDevices.userId, input.userId)).orderBy(asc(fcmDevices.id));
  const [telegram] = await db.select().from(telegramLinks).where(eq(telegramLinks.userId, input.userId));
  const rows = await db.select().from(notifications).where(eq(notifications.userId, input.userId)).orderBy(asc(notifications.id));
  const sent =
    rows.length === 0
      ? []
      : await db
          .select()
          .from(deliveries)
          .where(
            inArray(
              deliveries.notificationId,
              rows.map((row) => row.id),
            ),
          )
          .orderBy(asc(deliveries.channel));
  const theirReminders = await db.select().from(reminders).where(eq(reminders.userId, input.userId)).orderBy(asc(reminders.id));
  const upcoming = await db
    .select()
    .from(scheduledSends)
    .where(and(eq(scheduledSends.status, "scheduled"), sql`${input.userId}::uuid = any(${scheduledSends.userIds})`))
    .orderBy(asc(scheduledSends.sendAt));
  return {
    userId: input.userId,
    reminders: theirReminders.map(reminderView),
    scheduled: upcoming.map((row) => ({ id: row.id, type: row.type, data: row.data, sendAt: row.sendAt.toISOString() })),
    recipient: recipient ? { email: recipient.email, locale: recipient.locale, timeZone: recipient.timeZone, settings: recipient.settings } : null,
    categoryPreferences: choices.map((choice) => ({ category: choice.category, channel: choice.channel, enabled: choice.enabled })),
    // The endpoints and tokens, not the keys: they are the browser's, for encrypting to it.
    pushSubscriptions: subscriptions.map((row) => ({ endpoint: row.endpoint, createdAt: row.createdAt.toISOString() })),
    devices: devices.map((row) => ({ fcmToken: row.token, platform: row.platform, createdAt: row.createdAt.toISOString() })),
    telegram: telegram ? { chatId: telegram.chatId, linkedAt: telegram.linkedAt.toISOString() } : null,
    notifications: rows.map((row) => ({
      ...notificationView(row),
      deliveries: sent.filter((delivery) => delivery.notificationId === row.id).map(deliveryView),
    })),
  };
}
