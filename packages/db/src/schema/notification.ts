import { bigint, index, integer, jsonb, pgSchema, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
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
