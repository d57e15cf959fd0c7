import { categoryPreferences, deliveries, notifications, recipients } from "@lodge/db/schema";
import { asc, eq, inArray } from "drizzle-orm";
import type { Ctx } from "../deps";
import { deliveryView, notificationView } from "../helpers/views";

/** What the service holds about the user, for the user service's GDPR export: the address and settings copy, the category choices, every notification and its deliveries. */
export async function exportUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db } = ctx.deps;
  const [recipient] = await db.select().from(recipients).where(eq(recipients.userId, input.userId));
  const choices = await db.select().from(categoryPreferences).where(eq(categoryPreferences.userId, input.userId));
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
  return {
    userId: input.userId,
    recipient: recipient ? { email: recipient.email, locale: recipient.locale, timeZone: recipient.timeZone, settings: recipient.settings } : null,
    categoryPreferences: choices.map((choice) => ({ category: choice.category, channel: choice.channel, enabled: choice.enabled })),
    notifications: rows.map((row) => ({
      ...notificationView(row),
      deliveries: sent.filter((delivery) => delivery.notificationId === row.id).map(deliveryView),
    })),
  };
}
