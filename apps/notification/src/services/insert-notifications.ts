import { categoryPreferences, deliveries, notifications, recipients } from "@lodge/db/schema";
import { and, eq, inArray } from "drizzle-orm";
import { type Channel, type NotificationType, type Rendered, render } from "../catalog/index";
import type { Ctx, NotificationDeps } from "../deps";
import { type Plan, planDelivery } from "../helpers/delivery-plan";
import { recipientFrom } from "../helpers/recipients";

/** A transaction of the service's database. */
export type Tx = Parameters<Parameters<NotificationDeps["db"]["transaction"]>[0]>[0];

type Input = {
  type: NotificationType;
  data: unknown;
  /** At most 1000. */
  userIds: string[];
  /** The channels the sender asked for (the type's others are `skipped`/`not_requested`); all of the type's when absent. */
  channels?: readonly Channel[];
  /** What made each user's notification: the same key again makes no second one (a retried job or request). */
  sourceKey?: (userId: string) => string;
  /** Where to email it when the trigger says (auth's verification and reset events carry the address). */
  email?: string;
  now: Date;
};

/**
 * One notification of `type` for each of `userIds`, rendered in each recipient's language, with
 * one delivery per channel of the type, planned from the channel's configuration, the recipient's
 * addresses and settings (see planDelivery): the inbox `sent` at once, others `pending`, `held`
 * (quiet hours, digest) or `skipped`. A handful of statements inside the caller's transaction, all
 * or nothing. A user whose source key is already stored gets no second notification: their
 * existing one is returned. Returns the notification ids in `userIds` order; the caller queues the
 * pending deliveries (`queuePendingOf`) once the transaction is committed.
 */
export async function insertNotifications(ctx: Ctx, tx: Tx, input: Input): Promise<string[]> {
  const { type, userIds, now } = input;
  const { channels, config } = ctx.deps;
  if (userIds.length === 0) return [];
  const data = type.data.parse(input.data);
  const rows = await tx.select().from(recipients).where(inArray(recipients.userId, userIds));
  const known = new Map(rows.map((row) => [row.userId, recipientFrom(row)]));
  const recipientOf = (userId: string) => known.get(userId) ?? recipientFrom(undefined);
  const choices = await tx
    .select({ userId: categoryPreferences.userId, category: categoryPreferences.category, channel: categoryPreferences.channel })
    .from(categoryPreferences)
    .where(and(inArray(categoryPreferences.userId, userIds), eq(categoryPreferences.enabled, false)));
  const optOuts = (userId: string) => new Set(choices.filter((choice) => choice.userId === userId).map((choice) => `${choice.category}:${choice.channel}`));
  const addressOf = (userId: string) => input.email ?? recipientOf(userId).email;
  // Who each channel reaches, asked once per channel for everyone.
  const reached = new Map<Channel, Set<string>>();
  for (const channel of type.channels) {
    if (channel === "in_app") continue;
    reached.set(
      channel,
      await channels[channel].reachable(
        tx,
        userIds.map((userId) => ({ userId, stored: addressOf(userId) })),
      ),
    );
  }

  // Rendered once per language and zone, not once per user.
  const renderings = new Map<string, Rendered["inApp"]>();
  const inAppFor = (locale: ReturnType<typeof recipientOf>["locale"], timeZone: string) => {
    const key = `${locale} ${timeZone}`;
    if (!renderings.has(key)) renderings.set(key, render(type, data, locale, { timeZone }).inApp);
    return renderings.get(key) as Rendered["inApp"];
  };
  const inserted = await tx
    .insert(notifications)
    .values(
      userIds.map((userId) => {
        const inApp = inAppFor(recipientOf(userId).locale, recipientOf(userId).timeZone);
        const { title, body, link } = inApp;
        return { userId, type: type.key, category: type.category, title, body, link, data, sourceKey: input.sourceKey?.(userId), createdAt: now };
      }),
    )
    .onConflictDoNothing({ target: notifications.sourceKey })
    .returning({ id: notifications.id, userId: notifications.userId });
  const planned = inserted.flatMap((row) => {
    const recipient = recipientOf(row.userId);
    const audience = { settings: recipient.settings, optOuts: optOuts(row.userId), timeZone: recipient.timeZone };
    return type.channels.map((channel) => {
      const plan = planDelivery({
        type,
        channel,
        audience,
        requested: !input.channels || input.channels.includes(channel),
        configured: channel === "in_app" || channels[channel].configured,
        hasAddress: channel === "in_app" || (reached.get(channel)?.has(row.userId) ?? false),
        now,
        digestTime: config.digestTime,
      });
      return { notificationId: row.id, channel, ...deliveryFields(plan, now, channel === "email" ? addressOf(row.userId) : null) };
    });
  });
  if (planned.length > 0) await tx.insert(deliveries).values(planned);

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

/** A delivery row's status columns for its plan; the address (email's) with what will be sent. */
function deliveryFields(plan: Plan, now: Date, address: string | null) {
  switch (plan.status) {
    case "sent":
      return { status: plan.status, sentAt: now, attempts: 1 };
    case "pending":
      return { status: plan.status, address };
    case "skipped":
      return { status: plan.status, reason: plan.reason };
    case "held":
      return { status: plan.status, reason: plan.reason, dueAt: plan.dueAt, address };
  }
}
