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
    reason: z.enum(["logout", "revoked", "revoked_others", "password_changed", "password_reset", "refresh_reuse", "banned"]),
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

export function parseEnvelope(value: unknown): Envelope {
  return envelopeSchema.parse(value) as Envelope;
}
