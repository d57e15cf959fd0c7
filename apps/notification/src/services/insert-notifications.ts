import { queryRows } from "@lodge/db";
import { categoryPreferences, deliveries, notifications, recipients } from "@lodge/db/schema";
import { and, eq, inArray, sql } from "drizzle-orm";
import { type Channel, type NotificationType, type Rendered, render, type SendChannel } from "../catalog/index";
import type { Tx } from "../channels/types";
import type { Ctx } from "../deps";
import { type Plan, planDelivery } from "../helpers/delivery-plan";
import { type PendingDelivery, pendingOf } from "../helpers/queue-deliveries";
import { recipientFrom } from "../helpers/recipients";

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
 * (quiet hours, digest) or `skipped`. Reads, then one statement writing everything, all or
 * nothing: `tx` is a transaction only when the caller writes more with it. A user whose source key
 * is already stored gets no second notification: their existing one is returned. Returns the
 * notification ids in `userIds` order and their deliveries still pending (the new ones from the
 * insert, an existing one's read), which the caller queues (`queueDeliveries`) once committed.
 */
export async function insertNotifications(ctx: Ctx, tx: Tx, input: Input): Promise<{ ids: string[]; pending: PendingDelivery[] }> {
  const { type, userIds, now } = input;
  const { channels, config } = ctx.deps;
  if (userIds.length === 0) return { ids: [], pending: [] };
  const data = type.data.parse(input.data);
  // Concurrent reads in a transaction go out together (postgres.js pipelines them): one round trip.
  const [rows, choices] = await Promise.all([
    tx.select().from(recipients).where(inArray(recipients.userId, userIds)),
    tx
      .select({ userId: categoryPreferences.userId, category: categoryPreferences.category, channel: categoryPreferences.channel })
      .from(categoryPreferences)
      .where(and(inArray(categoryPreferences.userId, userIds), eq(categoryPreferences.enabled, false))),
  ]);
  const known = new Map(rows.map((row) => [row.userId, recipientFrom(row)]));
  const recipientOf = (userId: string) => known.get(userId) ?? recipientFrom(undefined);
  // Each user's `category:channel` opt-outs, grouped once for the batch (not filtered per user).
  const optOuts = new Map<string, Set<string>>();
  for (const choice of choices) optOuts.set(choice.userId, (optOuts.get(choice.userId) ?? new Set()).add(`${choice.category}:${choice.channel}`));
  const requested = (channel: Channel) => !input.channels || input.channels.includes(channel);
  const addressOf = (userId: string) => input.email ?? recipientOf(userId).email;
  // Who each channel reaches, asked once per channel for everyone, and only of a channel that could
  // send this (configured and requested): another's delivery is skipped whatever the answer.
  const asked = type.channels.filter((channel): channel is SendChannel => channel !== "in_app" && channels[channel].configured && requested(channel));
  const targets = userIds.map((userId) => ({ userId, stored: addressOf(userId) }));
  const reachedSets = await Promise.all(asked.map((channel) => channels[channel].reachable(tx, targets)));
  const reached = new Map(asked.map((channel, index) => [channel, reachedSets[index] as Set<string>]));

  // Rendered once per language and zone, not once per user.
  const renderings = new Map<string, Rendered["inApp"]>();
  const inAppFor = (locale: ReturnType<typeof recipientOf>["locale"], timeZone: string) => {
    const key = `${locale} ${timeZone}`;
    if (!renderings.has(key)) renderings.set(key, render(type, data, locale, { timeZone }).inApp);
    return renderings.get(key) as Rendered["inApp"];
  };
  // Every row is made here, ids included, and goes in one statement whatever the number of
  // recipients (each table's rows as one JSON parameter): a user whose source key is stored gets no notification, and
  // their planned deliveries are dropped with it.
  const made = userIds.map((userId) => {
    const recipient = recipientOf(userId);
    const audience = { settings: recipient.settings, optOuts: optOuts.get(userId) ?? new Set<string>(), timeZone: recipient.timeZone };
    const deliveryRows = type.channels.map((channel) => {
      const plan = planDelivery({
        type,
        channel,
        audience,
        requested: requested(channel),
        configured: channel === "in_app" || channels[channel].configured,
        hasAddress: channel === "in_app" || (reached.get(channel)?.has(userId) ?? false),
        now,
        digestTime: config.digestTime,
      });
      return { id: Bun.randomUUIDv7(), channel, ...deliveryFields(plan, now, channel === "email" ? addressOf(userId) : null) };
    });
    return {
      id: Bun.randomUUIDv7(),
      userId,
      inApp: inAppFor(recipient.locale, recipient.timeZone),
      sourceKey: input.sourceKey?.(userId) ?? null,
      deliveryRows,
    };
  });
  const planned = made.flatMap((notification) => notification.deliveryRows.map((delivery) => ({ notificationId: notification.id, ...delivery })));
  const at = now.toISOString();
  const notificationRows = made.map(({ id, userId, inApp, sourceKey }) => ({
    id,
    user_id: userId,
    title: inApp.title,
    body: inApp.body,
    link: inApp.link ?? null,
    source_key: sourceKey,
  }));
  const deliveryRows = planned.map((row) => ({
    id: row.id,
    notification_id: row.notificationId,
    channel: row.channel,
    status: row.status,
    reason: row.reason ?? null,
    address: row.address ?? null,
    attempts: row.attempts ?? 0,
    sent_at: row.sentAt ?? null,
    due_at: row.dueAt ?? null,
  }));
  const written = await queryRows<{ kind: "notification" | "delivery"; id: string; detail: string; status: string | null }>(
    tx,
    sql`
    with made as (
      insert into ${notifications} (id, user_id, type, category, title, body, link, data, source_key, created_at)
      select id, user_id, ${type.key}, ${type.category}, title, body, link, ${JSON.stringify(data)}::jsonb, source_key, ${at}::timestamptz
      from json_to_recordset(${JSON.stringify(notificationRows)}::json)
        as row(id uuid, user_id uuid, title text, body text, link text, source_key text)
      on conflict (source_key) do nothing
      returning id, user_id
    ), planned as (
      insert into ${deliveries} (id, notification_id, channel, status, reason, address, attempts, sent_at, due_at, created_at)
      select id, notification_id, channel, status, reason, address, attempts, sent_at, due_at, ${at}::timestamptz
      from json_to_recordset(${JSON.stringify(deliveryRows)}::json)
        as row(id uuid, notification_id uuid, channel text, status text, reason text, address text, attempts int, sent_at timestamptz, due_at timestamptz)
      where notification_id in (select id from made)
      returning id, channel, status
    )
    select 'notification' as kind, id, user_id::text as detail, null::text as status from made
    union all
    select 'delivery', id, channel, status from planned`,
  );
  const inserted = written.filter((row) => row.kind === "notification").map((row) => ({ id: row.id, userId: row.detail }));
  const pending: PendingDelivery[] = written.filter((row) => row.status === "pending").map((row) => ({ id: row.id, channel: row.detail }));

  const ids = new Map(inserted.map((row) => [row.userId, row.id]));
  if (ids.size < userIds.length && input.sourceKey) {
    const keys = userIds.filter((userId) => !ids.has(userId)).map((userId) => input.sourceKey?.(userId) as string);
    const existing = await tx.select({ id: notifications.id, userId: notifications.userId }).from(notifications).where(inArray(notifications.sourceKey, keys));
    for (const row of existing) ids.set(row.userId, row.id);
    // What a crash after an earlier commit left unqueued.
    if (existing.length > 0)
      pending.push(
        ...(await pendingOf(
          tx,
          existing.map((row) => row.id),
        )),
      );
  }
  return {
    ids: userIds.map((userId) => {
      const id = ids.get(userId);
      if (!id) throw new Error("notification neither inserted nor found");
      return id;
    }),
    pending,
  };
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
