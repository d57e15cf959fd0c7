import { erasingServices } from "@lodge/services";
import { z } from "zod";

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

  "user.profile_updated": z.object({ userId: z.uuid(), changed: z.array(z.string()) }),
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
