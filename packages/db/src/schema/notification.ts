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
  /** The `user.preferences_updated` version `locale` came from (null: none yet), so an older one arriving late changes nothing. */
  preferencesVersion: integer("preferences_version"),
  updatedAt: timestamptz("updated_at").notNull().defaultNow(),
});

/**
 * Users whose data this service erased, by the SHA-256 of their id (so that no row names them once
 * they are gone): an event about them that arrives late (a redelivered `user.registered`) stores
 * nothing again.
 */
export const erasedUsers = notificationSchema.table("erased_users", {
  userKey: text("user_key").primaryKey(),
  erasedAt: timestamptz("erased_at").notNull().defaultNow(),
});

export const notificationOutbox = outboxTable(notificationSchema);
