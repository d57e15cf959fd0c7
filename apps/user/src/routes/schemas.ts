import { z } from "@hono/zod-openapi";
import { safeText } from "@lodge/kit";
import { Locale, TimeZone } from "../helpers/locale";
import { PreferencesDocument } from "../helpers/preferences";

/** Printable, valid Unicode text (no lone surrogates, controls or bidi overrides; `\n` where `multiline`), trimmed, of bounded length. */
export function Text(options: { min?: number; max: number; multiline?: boolean }) {
  return safeText({ ...options, refuse: "controls", trim: "last" });
}

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

export const PreferencesState = z
  .object({
    version: z.number().int().openapi({ description: "Revision; 0 until the first PUT. Send it back with PUT (optimistic concurrency)" }),
    preferences: PreferencesDocument,
    updatedAt: z.string().nullable(),
  })
  .openapi("Preferences");

const { notifications, quietHours } = PreferencesDocument.shape;

export const NotificationSettings = z
  .object({
    userId: z.uuid(),
    locale: z.string().openapi({ description: "The profile's BCP 47 locale (formats dates and numbers)" }),
    timezone: z.string().openapi({ description: "The profile's IANA time zone: quiet hours and digests are read in it" }),
    language: z.string().openapi({ description: "The preferences' language, which notifications are written in" }),
    notifications,
    quietHours,
    version: z.number().int().openapi({ description: "The preferences' revision, as in `user.preferences_updated`; 0 for the defaults" }),
  })
  .openapi("NotificationSettings");

export const bearer = [{ bearer: [] }];

/** The scope a service client (the Telegram bot) needs to read a user's profile and read and write their preferences for them (`X-Lodge-User`). */
export const PREFERENCES_SCOPE = "users:preferences";

/** Who may call a route that takes `X-Lodge-User`, for its description. */
export const forUser = `A service client holding \`${PREFERENCES_SCOPE}\` acts for the user it names in \`X-Lodge-User\`, exactly as if they had called, except that an unknown account or one being deleted is a 404 to it (and no profile is made); without the scope or the header, or with a user's token naming another user, 403.`;
