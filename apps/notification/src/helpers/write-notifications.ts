import { type Db, type InOrder, queryInOrder, queryRows } from "@lodge/db";
import { categoryPreferences, deliveries, type NotificationSettings, notifications, recipients, unreadCounts } from "@lodge/db/schema";
import { batched, isRejectedData } from "@lodge/kit";
import { inArray, sql } from "drizzle-orm";
import { type Channel, type NotificationType, type Rendered, renderParsed, type SendChannel } from "../catalog/index";
import type { Channels } from "../channels/index";
import type { Tx } from "../channels/types";
import type { NotificationConfig } from "../config";
import type { Created } from "../realtime/announce";
import { type Plan, planDelivery } from "./delivery-plan";
import { idRows } from "./id-list";
import { type PendingDelivery, pendingOf } from "./queue-deliveries";
import { type Recipient, recipientFrom } from "./recipients";

/** One send's notifications: one per user, of one type with the same data. */
export type NotificationSend = {
  type: NotificationType;
  /** What the type's schema gave for the sender's data (parsed once, by the sender). */
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
  /**
   * Counts the send against its caller's rate limit, once the write takes it up: called for every
   * send of a batch at once (the kit's limiter counts them in one script run) while the reads are
   * under way, and again if the batch is retried one send at a time, so it must count only once.
   * A rejection fails this send alone, with its error, and writes none of its rows.
   */
  admit?: () => Promise<unknown>;
};

/**
 * A send's notification ids in its `userIds` order, and their deliveries still pending, for the
 * caller to queue once committed; `created`, when written outside a transaction (batchedSends), the
 * rows as written with their owners' unread counts read after the commit, for announceCreated.
 */
export type WrittenSend = { ids: string[]; pending: PendingDelivery[]; created?: Created[] };
/** A send that could not be planned (its rate limit, a channel's lookup) fails alone, not the sends written with it. */
export type SendOutcome = WrittenSend | { error: unknown };

/** What planning a delivery needs of the service: its channels and the digest time. */
export type Planning = { channels: Channels; config: Pick<NotificationConfig, "digestTime"> };

/** The most notifications one statement writes (a send's 1000 recipients fit). */
const MAX_ROWS_A_STATEMENT = 2000;

/**
 * Sends made outside a transaction by concurrent callers, written together (see `batched`): one
 * count of their callers' rate limits beside one read of the recipients and their opt-outs, then
 * one statement writing every caller's notifications and deliveries with, right behind it on the
 * same connection, the read of their owners' unread counts (it runs once the write has committed),
 * so a busy instance pays one commit and two round trips for many requests. Each caller's rows
 * are committed before its answer; rows Postgres refuses fail only their own caller.
 */
export function batchedSends(planning: Planning, db: Db) {
  const inOrder = queryInOrder(db);
  return batched((sends: NotificationSend[]) => writeNotifications(planning, db, sends, inOrder), {
    maxBatch: MAX_ROWS_A_STATEMENT,
    // The requests read in one turn of the event loop share a batch (a task would take only the first).
    gather: "turn",
    sizeOf: (send) => send.userIds.length,
    retryAloneWhen: isRejectedData,
  });
}

/**
 * Each send's notifications, one per user, rendered in each recipient's language, with one
 * delivery per channel of the type, planned from the channel's configuration, the recipient's
 * addresses and settings (see planDelivery): the inbox `sent` at once, others `pending`, `held`
 * (quiet hours, digest) or `skipped`. Reads, then one statement writing everything, all or
 * nothing: `tx` is a transaction only when the caller writes more with it. A user whose source key
 * is already stored gets no second notification: their existing one is returned. With `inOrder`
 * (of the database `tx` is, outside a transaction), the owners' unread counts are read after the
 * write's commit and each send's outcome carries what its announcement needs (`created`).
 */
export async function writeNotifications(planning: Planning, tx: Tx, sends: NotificationSend[], inOrder?: InOrder): Promise<SendOutcome[]> {
  const admissions = sends.map((send) => send.admit?.());
  // Each is awaited by its send's planning; a failed read must not leave a refusal unhandled meanwhile.
  for (const admission of admissions) admission?.catch(() => {});
  const read = await readAudiences(tx, [...new Set(sends.flatMap((send) => send.userIds))]);
  const audiences = new Map(read.map((row) => [row.userId, { recipient: recipientFrom(row), optOuts: new Set(row.optOuts) }]));
  const nobody: Audience = { recipient: recipientFrom(undefined), optOuts: new Set<string>() };
  const audienceOf = (userId: string) => audiences.get(userId) ?? nobody;

  const plans = await Promise.allSettled(
    sends.map(async (send, index) => {
      await admissions[index];
      return planSend(planning, tx, send, audienceOf);
    }),
  );
  const planned = plans.flatMap((plan) => (plan.status === "fulfilled" ? [plan.value] : []));
  const written = await insertRows(tx, planned, inOrder);

  return Promise.all(
    plans.map(async (outcome): Promise<SendOutcome> => {
      if (outcome.status === "rejected") return { error: outcome.reason };
      const plan = outcome.value;
      const { send } = plan;
      const ids = new Map(plan.made.filter((made) => written.inserted.has(made.id)).map((made) => [made.userId, made.id]));
      const pending = plan.made.flatMap((made) => written.pending.get(made.id) ?? []);
      if (ids.size < send.userIds.length && send.sourceKey) {
        const keys = send.userIds.filter((userId) => !ids.has(userId)).map((userId) => send.sourceKey?.(userId) as string);
        const existing = await tx
          .select({ id: notifications.id, userId: notifications.userId })
          .from(notifications)
          .where(inArray(notifications.sourceKey, keys));
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
      const inserted = plan.made.filter((made) => written.inserted.has(made.id));
      const { unread } = written;
      return {
        ids: send.userIds.map((userId) => {
          const id = ids.get(userId);
          if (!id) throw new Error("notification neither inserted nor found");
          return id;
        }),
        pending,
        // Only when every one was written now (one stored before is announced as read again).
        ...(unread && inserted.length === send.userIds.length ? { created: inserted.map((made) => createdRow(send, made, unread.get(made.userId) ?? 0)) } : {}),
      };
    }),
  );
}

/** What planning a send needs of a user: how to address them, and their `category:channel` opt-outs. */
type Audience = { recipient: Recipient; optOuts: Set<string> };

/**
 * The one read planning sends needs, of its users: a row each with their recipients row's columns
 * (nulls without one, which recipientFrom reads as none) and their `category:channel` opt-outs, in
 * one statement (one round trip on one connection), its text the same for any batch.
 */
const readAudiences = (reader: Tx, userIds: string[]) =>
  queryRows<{ userId: string; email: string | null; locale: string | null; timeZone: string | null; settings: NotificationSettings | null; optOuts: string[] }>(
    reader,
    sql`
      select owner.id as "userId", stored.email, stored.locale, stored.time_zone as "timeZone", stored.settings,
        array(select choice.category || ':' || choice.channel from ${categoryPreferences} as choice where choice.user_id = owner.id and not choice.enabled) as "optOuts"
      from ${idRows(userIds)} as owner
      left join ${recipients} as stored on stored.user_id = owner.id`,
  );

type Made = { id: string; userId: string; inApp: Rendered["inApp"]; sourceKey: string | null; deliveryRows: DeliveryRow[] };
type DeliveryRow = { id: string; channel: Channel } & ReturnType<typeof deliveryFields>;
type PlannedSend = { send: NotificationSend; made: Made[] };

/** One send's rows, every id included, planned from what its recipients allow. */
async function planSend(planning: Planning, tx: Tx, send: NotificationSend, audienceOf: (userId: string) => Audience): Promise<PlannedSend> {
  const { type, userIds, now } = send;
  const { channels, config } = planning;
  const requested = (channel: Channel) => !send.channels || send.channels.includes(channel);
  const addressOf = (userId: string) => send.email ?? audienceOf(userId).recipient.email;
  // Who each channel reaches, asked once per channel for the send's users, and only of a channel that could
  // send this (configured and requested): another's delivery is skipped whatever the answer.
  const asked = type.channels.filter((channel): channel is SendChannel => channel !== "in_app" && channels[channel].configured && requested(channel));
  const targets = userIds.map((userId) => ({ userId, stored: addressOf(userId) }));
  const reachedSets = await Promise.all(asked.map((channel) => channels[channel].reachable(tx, targets)));
  const reached = new Map(asked.map((channel, index) => [channel, reachedSets[index] as Set<string>]));

  // Rendered once per language and zone, not once per user.
  const renderings = new Map<string, Rendered["inApp"]>();
  const inAppFor = (locale: Recipient["locale"], timeZone: string) => {
    const key = `${locale} ${timeZone}`;
    if (!renderings.has(key)) renderings.set(key, renderParsed(type, send.data, locale, { timeZone }).inApp);
    return renderings.get(key) as Rendered["inApp"];
  };
  const made = userIds.map((userId) => {
    const { recipient, optOuts } = audienceOf(userId);
    const audience = { settings: recipient.settings, optOuts, timeZone: recipient.timeZone };
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
    return { id: Bun.randomUUIDv7(), userId, inApp: inAppFor(recipient.locale, recipient.timeZone), sourceKey: send.sourceKey?.(userId) ?? null, deliveryRows };
  });
  return { send, made };
}

/** A notification as insertRows writes it, with its owner's unread count: what its announcement shows. */
function createdRow(send: NotificationSend, made: Made, unread: number): Created {
  const { id, userId, inApp, sourceKey } = made;
  const { type, data, now } = send;
  const { title, body, link } = inApp;
  return {
    id,
    userId,
    type: type.key,
    category: type.category,
    title,
    body,
    link: link ?? null,
    data,
    sourceKey,
    readAt: null,
    archivedAt: null,
    createdAt: now,
    unread,
  };
}

/** A row of insertRows' statement: a notification written, or one of its pending deliveries (the others need nothing more). */
type WrittenRow = { kind: "notification" | "delivery"; id: string; notification_id: string; channel: string | null };
type Written = { inserted: Set<string>; pending: Map<string, PendingDelivery[]>; unread?: Map<string, number> };

/**
 * Every planned row in one statement whatever their number (the sends' shared columns and the
 * notifications, each with its deliveries, as one JSON parameter each; a value that is absent is
 * left out of the JSON, which the statement reads as null): a notification whose source key is
 * stored is not written, and its planned deliveries are dropped with it. Returns the
 * notifications written and their pending deliveries, by notification; with `inOrder`, also their
 * owners' unread counts, read right behind the statement, after its commit (none when that read
 * fails: the write has committed, so it must not fail the sends, whose announcements read again).
 */
async function insertRows(tx: Tx, planned: PlannedSend[], inOrder?: InOrder): Promise<Written> {
  if (planned.length === 0) return { inserted: new Set<string>(), pending: new Map<string, PendingDelivery[]>() };
  const sendRows = planned.map(({ send }, index) => ({
    send: index,
    type: send.type.key,
    category: send.type.category,
    data: send.data,
    created_at: send.now,
  }));
  const notificationRows = planned.flatMap(({ made }, index) =>
    made.map(({ id, userId, inApp, sourceKey, deliveryRows }) => ({
      id,
      send: index,
      user_id: userId,
      title: inApp.title,
      body: inApp.body,
      link: inApp.link ?? undefined,
      source_key: sourceKey ?? undefined,
      deliveries: deliveryRows,
    })),
  );
  const statement = sql`
    with sent as (
      select * from json_to_recordset(${JSON.stringify(sendRows)}::json)
        as sent(send int, type text, category text, data jsonb, created_at timestamptz)
    ), planned as (
      select row.*, sent.type, sent.category, sent.data, sent.created_at
      from json_to_recordset(${JSON.stringify(notificationRows)}::json)
        as row(id uuid, send int, user_id uuid, title text, body text, link text, source_key text, deliveries json)
      join sent on sent.send = row.send
    ), made as (
      insert into ${notifications} (id, user_id, type, category, title, body, link, data, source_key, created_at)
      select id, user_id, type, category, title, body, link, data, source_key, created_at from planned
      on conflict (source_key) do nothing
      returning id
    ), queued as (
      insert into ${deliveries} (id, notification_id, channel, status, reason, address, attempts, sent_at, due_at, created_at)
      select delivery.id, planned.id, delivery.channel, delivery.status, delivery.reason, delivery.address, coalesce(delivery.attempts, 0),
        delivery."sentAt", delivery."dueAt", planned.created_at
      from planned
      cross join lateral json_to_recordset(planned.deliveries)
        as delivery(id uuid, channel text, status text, reason text, address text, attempts int, "sentAt" timestamptz, "dueAt" timestamptz)
      where planned.id in (select id from made)
      returning id, notification_id, channel, status
    )
    select 'notification' as kind, id, id as notification_id, null::text as channel from made
    union all
    select 'delivery', id, notification_id, channel from queued where status = 'pending'`;
  if (!inOrder) return writtenOf(await queryRows<WrittenRow>(tx, statement));
  const owners = [...new Set(notificationRows.map((row) => row.user_id))];
  const [write, counts] = await inOrder([statement, unreadCountsOf(owners)]);
  if (write?.status !== "fulfilled") throw write?.reason;
  const unread = counts?.status === "fulfilled" ? new Map(counts.value.map((row) => [row.user_id as string, row.unread as number])) : undefined;
  return { ...writtenOf(write.value as WrittenRow[]), ...(unread ? { unread } : {}) };
}

/** Each of `userIds`' unread count (as countUnread reads it), one row a user, read by the key. */
const unreadCountsOf = (userIds: string[]) => sql`
  select owner.id as user_id, coalesce((select counted.unread from ${unreadCounts} as counted where counted.user_id = owner.id), 0) as unread
  from ${idRows(userIds)} as owner`;

/** insertRows' statement's rows: the notifications written, and their pending deliveries by notification. */
function writtenOf(written: WrittenRow[]) {
  const inserted = new Set<string>();
  const pending = new Map<string, PendingDelivery[]>();
  for (const row of written) {
    if (row.kind === "notification") inserted.add(row.id);
    else pending.set(row.notification_id, [...(pending.get(row.notification_id) ?? []), { id: row.id, channel: row.channel as string }]);
  }
  return { inserted, pending };
}

/** A delivery row's status columns for its plan; the address (email's) with what will be sent. Its keys are the ones insertRows' statement reads. */
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
