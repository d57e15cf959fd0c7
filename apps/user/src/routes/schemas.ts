import { z } from "@hono/zod-openapi";
import { safeText } from "@lodge/kit";

/** Printable, valid Unicode text (no lone surrogates, controls or bidi overrides; `\n` where `multiline`), trimmed, of bounded length. */
export function Text(options: { min?: number; max: number; multiline?: boolean }) {
  return safeText({ ...options, refuse: "controls", trim: "last" });
}

/** Canonical BCP 47 form of a language tag, or undefined when it is not one. */
export function canonicalLocale(value: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(value)[0];
  } catch {
    return undefined;
  }
}

/** The IANA time zone database's name for `value` (case-insensitively), or undefined: offsets like `+01:00` are not IANA names. */
export function canonicalTimeZone(value: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(value)) return undefined;
  try {
    return new Intl.DateTimeFormat("en", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export const Locale = z
  .string()
  .min(2)
  .max(35)
  .refine((value) => canonicalLocale(value) !== undefined, "must be a BCP 47 language tag, e.g. en or pt-BR")
  .openapi({ example: "de-DE", description: "BCP 47 language tag (stored in canonical form)" });

export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((value) => canonicalTimeZone(value) !== undefined, "must be an IANA time zone, e.g. Europe/Berlin")
  .openapi({ example: "Europe/Berlin", description: "IANA time zone name" });

export const Avatar = z
  .object({
    fileId: z.uuid(),
    url: z.string().openapi({ description: "The original image" }),
    smallUrl: z.string().openapi({ description: "A 128×128 WebP thumbnail" }),
  })
  .nullable()
  .openapi("Avatar");

export const Profile = z
  .object({
    id: z.uuid(),
    email: z.string().nullable().openapi({ description: "Null for a moment after registration, until auth's user.registered arrives" }),
    displayName: z.string().nullable(),
    bio: z.string().nullable(),
    avatar: Avatar,
    locale: z.string(),
    timezone: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Profile");

export const PublicProfile = z
  .object({ id: z.uuid(), displayName: z.string().nullable(), bio: z.string().nullable(), avatar: Avatar, createdAt: z.string() })
  .openapi("PublicProfile");

export const AdminProfile = PublicProfile.extend({ email: z.string().nullable(), updatedAt: z.string() }).openapi("AdminProfile");

export const ProfilePatch = z
  .object({
    displayName: Text({ min: 1, max: 100 }).nullable().optional().openapi({ description: "1 to 100 characters once trimmed; null removes it" }),
    bio: Text({ max: 1000, multiline: true })
      .nullable()
      .optional()
      .openapi({ description: "Up to 1000 characters once trimmed, line breaks allowed; null removes it" }),
    avatarFileId: z.uuid().nullable().optional().openapi({ description: "An image file you uploaded; null removes the avatar" }),
    locale: Locale.optional(),
    timezone: TimeZone.optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, "send at least one field to change")
  .openapi("ProfilePatch");

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

export const defaultPreferences: Preferences = {
  theme: "system",
  language: "en",
  notifications: {
    email: { enabled: true, frequency: "instant" },
    push: { enabled: true, frequency: "instant" },
    telegram: { enabled: false, frequency: "instant" },
  },
  quietHours: null,
};

export const PreferencesState = z
  .object({
    version: z.number().int().openapi({ description: "Revision; 0 until the first PUT. Send it back with PUT (optimistic concurrency)" }),
    preferences: PreferencesDocument,
    updatedAt: z.string().nullable(),
  })
  .openapi("Preferences");

export const bearer = [{ bearer: [] }];
