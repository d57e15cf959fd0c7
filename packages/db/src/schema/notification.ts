import { index, integer, jsonb, pgSchema, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, outboxTable, timestamptz } from "./columns";

export const notificationSchema = pgSchema("notification");

/** One notification of a user: what the inbox lists, rendered in the user's language when it was made. */
export const notifications = notificationSchema.table(
  "notifications",
  {
    id: id(),
    userId: uuid("user_id").notNull(),
    /** The key in the type catalog (`auth.password_reset`, ...). */
    type: text("type").notNull(),
    category: text("category").notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    link: text("link"),
    /** The type's data, as its schema validated it. */
    data: jsonb("data").notNull().default({}),
    /** What made it, once: the bus event's id, so a redelivered event makes no second notification. */
    sourceKey: text("source_key"),
    readAt: timestamptz("read_at"),
    archivedAt: timestamptz("archived_at"),
    createdAt: createdAt(),
  },
  (table) => [index("notifications_user_idx").on(table.userId, table.id), uniqueIndex("notifications_source_key_idx").on(table.sourceKey)],
);

/** One channel's delivery of a notification (pending, held, sent, failed, skipped). */
export const deliveries = notificationSchema.table(
  "deliveries",
  {
    id: id(),
    notificationId: uuid("notification_id")
      .notNull()
      .references(() => notifications.id, { onDelete: "cascade" }),
    channel: text("channel").notNull(),
    status: text("status", { enum: ["pending", "held", "sent", "failed", "skipped"] }).notNull(),
    /** Why it was skipped or failed (`no_address`, `smtp_rejected`, ...). */
    reason: text("reason"),
    /** Where it goes when known at creation (the email address an auth event carries). */
    address: text("address"),
    attempts: integer("attempts").notNull().default(0),
    sentAt: timestamptz("sent_at"),
    /** The Message-ID (email) or the provider's id of what was sent. */
    messageId: text("message_id"),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("deliveries_notification_channel_idx").on(table.notificationId, table.channel)],
);

/**
 * What this service knows of a user to address them: the email address from auth's events
 * (`user.registered`, `user.email_verified`, verification and reset requests) and, later, the
 * language and time zone from the user service's `user.preferences_updated`. A local copy, so a
 * send never waits on another service.
 */
export const recipients = notificationSchema.table("recipients", {
  userId: uuid("user_id").primaryKey(),
  email: text("email"),
  /** BCP 47 language (`de`, `en-GB`); null: the catalog's default. */
  locale: text("locale"),
  /** IANA zone (`Europe/Berlin`); null: UTC. */
  timeZone: text("time_zone"),
  updatedAt: timestamptz("updated_at").notNull().defaultNow(),
});

export const notificationOutbox = outboxTable(notificationSchema);

// --- Sends from services and admins, scheduled sends, reminders --------------------------------

/**
 * An idempotency key of `POST /notifications/send`, per caller (`client:<id>` or `user:<id>`), kept
 * 24 h (a repeatable job purges expired ones): the same key again answers `response` and sends
 * nothing; with another body (`requestHash` differs) it is refused. Inserted in the send's own
 * transaction, so a concurrent duplicate waits on the unique index and then sees the answer.
 */
export const sendRequests = notificationSchema.table(
  "send_requests",
  {
    id: id(),
    caller: text("caller").notNull(),
    key: text("key").notNull(),
    /** SHA-256 of the request body as validated (canonical JSON). */
    requestHash: text("request_hash").notNull(),
    /** The 202 body the first request got (written in the same transaction as the row). */
    response: jsonb("response"),
    createdAt: createdAt(),
    expiresAt: timestamptz("expires_at").notNull(),
  },
  (table) => [uniqueIndex("send_requests_caller_key_idx").on(table.caller, table.key), index("send_requests_expires_idx").on(table.expiresAt)],
);

/**
 * A send due later (`sendAt`): the row is the truth, a BullMQ delayed job its trigger (a sweep
 * re-queues one a lost job left behind). Fired once: each recipient's notification has the source
 * key `scheduled:<id>:<userId>`.
 */
export const scheduledSends = notificationSchema.table(
  "scheduled_sends",
  {
    id: id(),
    /** Who asked (`client:<id>` or `user:<id>`): only they may cancel it. */
    caller: text("caller").notNull(),
    userIds: uuid("user_ids").array().notNull(),
    type: text("type").notNull(),
    data: jsonb("data").notNull(),
    /** The type's channels it is limited to; null: all of them. */
    channels: text("channels").array(),
    sendAt: timestamptz("send_at").notNull(),
    status: text("status", { enum: ["scheduled", "sent", "cancelled"] })
      .notNull()
      .default("scheduled"),
    sentAt: timestamptz("sent_at"),
    createdAt: createdAt(),
  },
  (table) => [index("scheduled_sends_due_idx").on(table.status, table.sendAt)],
);

/**
 * A user's reminder: once (`repeat` null) or on a recurrence (an RRULE, presets included) at the
 * same local time in `timeZone`, counted from `startsAt` (local wall time). `nextAt` is the next
 * firing; each firing's notification has the source key `reminder:<id>:<occurrence ISO>`.
 */
export const reminders = notificationSchema.table(
  "reminders",
  {
    id: id(),
    userId: uuid("user_id").notNull(),
    text: text("text").notNull(),
    /** `FREQ=DAILY`, ...: an RRULE without DTSTART, read in floating local time; null: once. */
    repeat: text("repeat"),
    /** The first occurrence as a local wall time (`2026-12-24T09:00:00`) in `timeZone`. */
    startsAt: text("starts_at").notNull(),
    /** IANA zone the local times are read in (the user's when it was made, else UTC). */
    timeZone: text("time_zone").notNull(),
    /** The type's channels it is limited to; null: all of them. */
    channels: text("channels").array(),
    nextAt: timestamptz("next_at").notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("reminders_user_idx").on(table.userId, table.id), index("reminders_next_idx").on(table.nextAt)],
);
