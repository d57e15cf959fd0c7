import { z } from "@hono/zod-openapi";
import { defaultPreferences as catalogDefaults } from "@lodge/events";
import { Locale } from "./locale";

const Time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (24-hour)");
const Channel = z.object({ enabled: z.boolean(), frequency: z.enum(["instant", "daily", "weekly"]) }).strict();

/**
 * The preferences document (format 1). Every field is required on PUT; a stored document is read
 * through this schema over the defaults, so adding a field with a default later needs no migration.
 */
export const PreferencesDocument = z
  .object({
    theme: z.enum(["system", "light", "dark"]),
    language: Locale,
    notifications: z
      .object({ email: Channel, push: Channel, telegram: Channel })
      .strict()
      .openapi({ description: "Defaults per channel; the notification service applies them" }),
    quietHours: z
      .object({ start: Time, end: Time })
      .strict()
      .refine((hours) => hours.start !== hours.end, "start and end must differ")
      .nullable()
      .openapi({ description: "No notifications between start and end, in the profile's time zone (may wrap midnight); null for none" }),
  })
  .strict()
  .openapi("PreferencesDocument");

export type Preferences = z.infer<typeof PreferencesDocument>;

/** Declared with the event that carries the document, so every consumer assumes the same. */
export const defaultPreferences: Preferences = catalogDefaults;

/** A stored document read over the defaults: fields added to the format since it was written take their default. */
export function readDocument(stored: unknown): Preferences {
  const document = (stored ?? {}) as Partial<Preferences>;
  const merged = {
    ...defaultPreferences,
    ...document,
    notifications: { ...defaultPreferences.notifications, ...(document.notifications ?? {}) },
  };
  const parsed = PreferencesDocument.safeParse(merged);
  return parsed.success ? parsed.data : defaultPreferences;
}
