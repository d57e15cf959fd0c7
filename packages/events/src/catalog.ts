import { erasingServices } from "@lodge/services";
import { z } from "zod";

const notificationChannel = z.object({ enabled: z.boolean(), frequency: z.enum(["instant", "daily", "weekly"]) });
const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/);

/**
 * The user service's preferences document as its events carry it (the user service's own schema
 * validates what users send). Keys added to the document later are dropped here, not refused, so a
 * consumer deployed before them keeps working.
 */
const preferencesDocument = z.object({
  theme: z.enum(["system", "light", "dark"]),
  /** BCP 47 tag, canonical (`de-DE`): the language notifications are written in. */
  language: z.string(),
  /** Defaults per channel, which the notification service applies. */
  notifications: z.object({ email: notificationChannel, push: notificationChannel, telegram: notificationChannel }),
  /** `HH:MM` in the profile's time zone, may wrap midnight; null for none. */
  quietHours: z.object({ start: timeOfDay, end: timeOfDay }).nullable(),
});

/** The preferences of a user who never saved theirs: what the user service serves and every consumer assumes. */
export const defaultPreferences: z.infer<typeof preferencesDocument> = {
  theme: "system",
  language: "en",
  notifications: {
    email: { enabled: true, frequency: "instant" },
    push: { enabled: true, frequency: "instant" },
    telegram: { enabled: false, frequency: "instant" },
  },
  quietHours: null,
};

/** Telegram's chat id: an integer that may need up to 52 bits (a safe JavaScript integer). */
const telegramChatId = z.number().int();

/** Every event Lodge publishes. Adding one: add its data schema here, nothing else. */
export const eventData = {
  "user.registered": z.object({ userId: z.uuid(), email: z.email(), name: z.string().nullable() }),
  "user.email_verified": z.object({ userId: z.uuid(), email: z.email() }),
  "auth.email_verification_requested": z.object({ userId: z.uuid(), email: z.email(), token: z.string(), expiresAt: z.iso.datetime() }),
  "auth.password_reset_requested": z.object({ userId: z.uuid(), email: z.email(), token: z.string(), expiresAt: z.iso.datetime() }),
  "auth.password_changed": z.object({ userId: z.uuid(), via: z.enum(["change", "reset"]) }),
  "auth.session_revoked": z.object({
    userId: z.uuid(),
    sessionIds: z.array(z.uuid()).min(1),
    reason: z.enum(["logout", "revoked", "revoked_others", "password_changed", "password_reset", "refresh_reuse", "banned", "account_deleted"]),
  }),
  "auth.role_changed": z.object({ userId: z.uuid(), role: z.enum(["user", "admin"]) }),
  "auth.user_banned": z.object({ userId: z.uuid(), banned: z.boolean() }),
  /** Wrong passwords for this account made its logins wait (once per episode): tell the owner, who may want to change it. */
  "auth.login_throttled": z.object({
    userId: z.uuid(),
    email: z.email(),
    failedAttempts: z.number().int().positive(),
    waitSeconds: z.number().int().positive(),
  }),

  /** `changed` names the fields that changed; the new `locale` and `timezone` come along when they are among them. */
  "user.profile_updated": z.object({ userId: z.uuid(), changed: z.array(z.string()), locale: z.string().optional(), timezone: z.string().optional() }),
  /** The whole document after a save; `version` only grows, so a consumer keeps the highest it has seen. */
  "user.preferences_updated": z.object({
    userId: z.uuid(),
    version: z.number().int().positive(),
    preferences: preferencesDocument,
    updatedAt: z.iso.datetime(),
  }),
  /** Every service holding data of the user erases it and answers with `user.data_erased`. */
  "user.deletion_requested": z.object({ userId: z.uuid(), requestedAt: z.iso.datetime() }),
  "user.data_erased": z.object({ userId: z.uuid(), service: z.enum(erasingServices) }),
  /** Every service in `erasingServices` (@lodge/services) has erased the user's data. */
  "user.deleted": z.object({ userId: z.uuid() }),

  "file.uploaded": z.object({
    fileId: z.uuid(),
    ownerId: z.uuid(),
    name: z.string(),
    contentType: z.string(),
    size: z.number().int().nonnegative(),
    sha256: z.string(),
  }),
  "file.processed": z.object({ fileId: z.uuid(), ownerId: z.uuid(), variants: z.array(z.string()) }),
  "file.deleted": z.object({ fileId: z.uuid(), ownerId: z.uuid() }),

  /**
   * An async AI job (POST /ai/jobs) ended: the notification service pushes it to the user's open
   * sockets, and stores it in the inbox when it ran longer than a minute (the user may have left).
   */
  "ai.job_completed": z.object({
    userId: z.uuid(),
    jobId: z.uuid(),
    kind: z.enum(["chat", "image"]),
    status: z.enum(["succeeded", "failed", "cancelled"]),
    /** From the job's creation to its end. */
    durationMs: z.number().int().nonnegative(),
  }),

  /** The bot linked a Telegram chat to the account (one chat per user, one user per chat). */
  "telegram.linked": z.object({ userId: z.uuid(), chatId: telegramChatId, username: z.string().optional(), languageCode: z.string().optional() }),
  /**
   * The chat no longer reaches the user: unlinked by them (`/unlink` or the web), the bot blocked,
   * the link moved to another chat or account, the user banned or deleted.
   */
  "telegram.unlinked": z.object({ userId: z.uuid(), chatId: telegramChatId, reason: z.enum(["unlinked", "blocked", "relinked", "banned", "account_deleted"]) }),

  /**
   * A message for the user's open realtime sockets, from any service (`ai.job_completed`): the
   * notification service relays it to each of the user's devices as `{ type, data }`. Ephemeral:
   * not stored, so a user not connected misses it (what must not be missed is a notification).
   * `type` is the publisher's, `<service>.<what>`; the notification service's own are refused.
   */
  "realtime.message": z.object({
    userId: z.uuid(),
    type: z
      .string()
      .max(64)
      .regex(/^[a-z][a-z0-9_]*\.[a-z0-9_.]+$/)
      .refine((type) => !type.startsWith("notification."), "notification.* messages are the notification service's own"),
    data: z.record(z.string(), z.unknown()).refine((data) => JSON.stringify(data).length <= 16_384, "at most 16 KiB as JSON"),
  }),
} as const;

export type EventType = keyof typeof eventData;
export type EventDataOf<T extends EventType> = z.infer<(typeof eventData)[T]>;

export type Envelope<T extends EventType = EventType> = {
  [K in T]: { id: string; type: K; occurredAt: string; data: EventDataOf<K>; requestId?: string };
}[T];

const envelopeBase = { id: z.uuid(), occurredAt: z.iso.datetime(), requestId: z.string().optional() };

export const envelopeSchema = z.discriminatedUnion(
  "type",
  Object.entries(eventData).map(([type, data]) => z.object({ ...envelopeBase, type: z.literal(type), data })) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

export const eventTypes = Object.keys(eventData) as EventType[];

/**
 * Events whose handling must complete however long a dependency is down: the deletion saga. A
 * subscriber's opt-in `maxAttempts` never applies to them; only an event that can never succeed is
 * dead-lettered (every other event type is retried until it succeeds too, unless capped).
 */
export const mustComplete: ReadonlySet<EventType> = new Set<EventType>(["user.deletion_requested", "user.data_erased", "user.deleted"]);

export function parseEnvelope(value: unknown): Envelope {
  return envelopeSchema.parse(value) as Envelope;
}
