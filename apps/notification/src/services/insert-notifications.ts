import { deliveries, notifications, recipients } from "@lodge/db/schema";
import { inArray } from "drizzle-orm";
import { type Channel, defaultLocale, localeFor, type NotificationType, type Rendered, render } from "../catalog/index";
import type { NotificationDeps } from "../deps";
import { initialDeliveries } from "./create-notification";

/** A transaction of the service's database. */
export type Tx = Parameters<Parameters<NotificationDeps["db"]["transaction"]>[0]>[0];

/**
 * One notification of `type` for each of `userIds` (at most 1000), rendered in each recipient's
 * language, with its deliveries, in two statements inside the caller's transaction: all or nothing.
 * With `sourceKey`, a user whose key is already stored gets no second notification (a retried job
 * or request): their existing one is returned. Returns the notification ids in `userIds` order.
 * The caller queues the pending emails (`queuePendingEmails`) once the transaction is committed.
 */
export async function insertNotifications(
  tx: Tx,
  input: { type: NotificationType; data: unknown; userIds: string[]; channels?: readonly Channel[]; sourceKey?: (userId: string) => string; now: Date },
): Promise<string[]> {
  const { type, userIds, now } = input;
  if (userIds.length === 0) return [];
  const data = type.data.parse(input.data);
  const known = new Map((await tx.select().from(recipients).where(inArray(recipients.userId, userIds))).map((row) => [row.userId, row]));
  // Rendered once per language and zone, not once per user.
  const renderings = new Map<string, Rendered["inApp"]>();
  const inAppFor = (locale: ReturnType<typeof localeFor>, timeZone: string) => {
    const key = `${locale} ${timeZone}`;
    if (!renderings.has(key)) renderings.set(key, render(type, data, locale, { timeZone }).inApp);
    return renderings.get(key) as Rendered["inApp"];
  };
  const rows = userIds.map((userId) => {
    const recipient = known.get(userId);
    const inApp = inAppFor(recipient ? localeFor(recipient.locale) : defaultLocale, recipient?.timeZone ?? "UTC");
    return {
      userId,
      type: type.key,
      category: type.category,
      title: inApp.title,
      body: inApp.body,
      link: inApp.link,
      data,
      sourceKey: input.sourceKey?.(userId),
      createdAt: now,
    };
  });
  const inserted = await tx
    .insert(notifications)
    .values(rows)
    .onConflictDoNothing({ target: notifications.sourceKey })
    .returning({ id: notifications.id, userId: notifications.userId });
  const made = inserted.flatMap((row) =>
    initialDeliveries(row.id, type, { address: known.get(row.userId)?.email, now, ...(input.channels ? { only: input.channels } : {}) }),
  );
  if (made.length > 0) await tx.insert(deliveries).values(made);

  const ids = new Map(inserted.map((row) => [row.userId, row.id]));
  if (ids.size < userIds.length && input.sourceKey) {
    const keys = userIds.filter((userId) => !ids.has(userId)).map((userId) => input.sourceKey?.(userId) as string);
    const existing = await tx.select({ id: notifications.id, userId: notifications.userId }).from(notifications).where(inArray(notifications.sourceKey, keys));
    for (const row of existing) ids.set(row.userId, row.id);
  }
  return userIds.map((userId) => {
    const id = ids.get(userId);
    if (!id) throw new Error("notification neither inserted nor found");
    return id;
  });
}
