import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgSchema, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, erasedUsersTable, id, outboxTable, timestamptz } from "./columns";

/** What of the user service's preferences decides delivery: per-channel switches and frequency, and quiet hours (`HH:MM`, local). */
export type NotificationSettings = {
  notifications: Record<"email" | "push" | "telegram", { enabled: boolean; frequency: "instant" | "daily" | "weekly" }>;
  quietHours: { start: string; end: string } | null;
};

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

/**
 * Each user's unread notifications (neither read nor archived), kept by triggers on `notifications`
 * in the statement that changes them (migration 0016), so a count is one row read, not a scan of the
 * user's inbox. No row: none.
 */
export const unreadCounts = notificationSchema.table("unread_counts", {
  userId: uuid("user_id").primaryKey(),
  unread: integer("unread").notNull(),
});

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
    /** When a `held` delivery goes out: the end of the user's quiet hours, or their next digest. */
    dueAt: timestamptz("due_at"),
    /** The digest that carried it (a delivery held for a digest, once collected). */
    digestId: uuid("digest_id").references(() => digests.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("deliveries_notification_channel_idx").on(table.notificationId, table.channel),
    index("deliveries_held_idx").on(table.dueAt).where(sql`status = 'held'`),
    index("deliveries_pending_idx").on(table.createdAt).where(sql`status = 'pending'`),
  ],
);

/**
 * One digest message: the notifications a user's channel held for it (frequency `daily` or
 * `weekly`), sent once as one message when it falls due (pending, sent, failed).
 */
export const digests = notificationSchema.table(
  "digests",
  {
    id: id(),
    userId: uuid("user_id").notNull(),
    channel: text("channel").notNull(),
    status: text("status", { enum: ["pending", "sent", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    sentAt: timestamptz("sent_at"),
    messageId: text("message_id"),
    createdAt: createdAt(),
  },
  (table) => [index("digests_user_idx").on(table.userId)],
);

/**
 * A user's choice for one category on one channel (`product` × `email`: off). No row: the channel's
 * own setting (the user service's preferences) decides. Critical types ignore these.
 */
export const categoryPreferences = notificationSchema.table(
  "category_preferences",
  {
    userId: uuid("user_id").notNull(),
    category: text("category").notNull(),
    /** `email`, `push` or `telegram`, as in the user service's per-channel settings. */
    channel: text("channel").notNull(),
    enabled: boolean("enabled").notNull(),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.category, table.channel] })],
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
  /** The `user.preferences_updated` version `locale` came from (null: none yet), so an older one arriving late changes nothing. */
  preferencesVersion: integer("preferences_version"),
  /**
   * The user service's per-channel settings and quiet hours from the same version
   * (`{ notifications: { email|push|telegram: { enabled, frequency } }, quietHours }`); null: its defaults.
   */
  settings: jsonb("settings").$type<NotificationSettings>(),
  updatedAt: timestamptz("updated_at").notNull().defaultNow(),
});

/** Users whose data this service erased (see erasedUsersTable). */
export const erasedUsers = erasedUsersTable(notificationSchema);

/*
 * Where push and Telegram deliveries go: a user's browsers, phones and linked Telegram chat.
 * Each is erased with the user; an address the provider reports gone is removed.
 */

/** A browser's Web Push subscription (its PushSubscription JSON): the push service's endpoint and the keys a payload is encrypted to. */
export const pushSubscriptions = notificationSchema.table(
  "push_subscriptions",
  {
    id: id(),
    userId: uuid("user_id").notNull(),
    /** The push service's URL for this browser (https); one subscription per endpoint, the last user to register it owns it. */
    endpoint: text("endpoint").notNull(),
    /** The browser's ECDH P-256 public key and auth secret (base64url), from the subscription's `keys`. */
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("push_subscriptions_endpoint_idx").on(table.endpoint), index("push_subscriptions_user_idx").on(table.userId)],
);

/** A phone's Firebase Cloud Messaging registration token. */
export const fcmDevices = notificationSchema.table(
  "fcm_devices",
  {
    id: id(),
    userId: uuid("user_id").notNull(),
    /** The FCM registration token; one device per token, the last user to register it owns it. */
    token: text("token").notNull(),
    platform: text("platform", { enum: ["android", "ios", "web"] }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("fcm_devices_token_idx").on(table.token), index("fcm_devices_user_idx").on(table.userId)],
);

/** The Telegram chat linked to a user (from the bot's `telegram.linked` / `telegram.unlinked` events). */
export const telegramLinks = notificationSchema.table(
  "telegram_links",
  {
    userId: uuid("user_id").primaryKey(),
    chatId: bigint("chat_id", { mode: "number" }).notNull(),
    linkedAt: timestamptz("linked_at").notNull(),
  },
  (table) => [index("telegram_links_chat_idx").on(table.chatId)],
);

export const notificationOutbox = outboxTable(notificationSchema);

/**
 * An outbound webhook endpoint an admin registered (operator data, not a user's): every bus event
 * whose type is in `eventTypes` (or any, with `*`) is POSTed to `url`, signed per the Standard
 * Webhooks spec with `secret` (and `previousSecret` until `previousSecretExpiresAt`, after a rotation).
 */
export const webhookEndpoints = notificationSchema.table("webhook_endpoints", {
  id: id(),
  url: text("url").notNull(),
  description: text("description").notNull().default(""),
  /** Catalog event types, or `*` for all. */
  eventTypes: text("event_types").array().notNull(),
  enabled: boolean("enabled").notNull().default(true),
  /** Why it was disabled by the service (`failing`), null when an admin did it or it is enabled. */
  disabledReason: text("disabled_reason"),
  /** `whsec_` + base64: kept as is, since signing needs it. */
  secret: text("secret").notNull(),
  previousSecret: text("previous_secret"),
  previousSecretExpiresAt: timestamptz("previous_secret_expires_at"),
  /** When the first attempt failed since the last success: the endpoint is disabled once it is old enough. */
  failingSince: timestamptz("failing_since"),
  createdAt: createdAt(),
  updatedAt: timestamptz("updated_at").notNull().defaultNow(),
});

/**
 * One event's delivery to one endpoint (once per pair), with the body as sent (its data may carry
 * user data: rows are deleted after WEBHOOK_DELIVERY_RETENTION_DAYS) and the last attempt's outcome.
 */
export const webhookDeliveries = notificationSchema.table(
  "webhook_deliveries",
  {
    id: id(),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    /** The bus event's id: the `webhook-id` header, which receivers deduplicate on. */
    eventId: uuid("event_id").notNull(),
    eventType: text("event_type").notNull(),
    /** `{ type, timestamp, data }`, the JSON body. */
    payload: jsonb("payload").notNull(),
    status: text("status", { enum: ["pending", "sent", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    responseStatus: integer("response_status"),
    /** The start of the receiver's answer (WEBHOOK_RESPONSE_MAX_BYTES at most). */
    responseBody: text("response_body"),
    durationMs: integer("duration_ms"),
    error: text("error"),
    lastAttemptAt: timestamptz("last_attempt_at"),
    nextAttemptAt: timestamptz("next_attempt_at"),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("webhook_deliveries_endpoint_event_idx").on(table.endpointId, table.eventId),
    index("webhook_deliveries_endpoint_idx").on(table.endpointId, table.id),
    index("webhook_deliveries_created_idx").on(table.createdAt),
  ],
);

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
    /** The creator's idempotency key (the bot's: its Telegram update), unique per user: a retried creation answers this reminder. */
    idempotencyKey: text("idempotency_key"),
    /** SHA-256 of the creation's body, so the same key with another body is refused. */
    requestHash: text("request_hash"),
  },
  (table) => [
    index("reminders_user_idx").on(table.userId, table.id),
    index("reminders_next_idx").on(table.nextAt),
    uniqueIndex("reminders_user_idempotency_idx").on(table.userId, table.idempotencyKey),
  ],
);
