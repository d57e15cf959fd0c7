import { z } from "zod";

/**
 * What the bot reads of the user and notification services' replies. Objects are loose: keys the
 * bot does not know are kept, so a preferences document it writes back (PUT takes the whole
 * document) keeps fields added to it later.
 */

/** GET /users/me (the parts the bot uses). */
export const ProfileReply = z.looseObject({ locale: z.string(), timezone: z.string() });

const Channel = z.looseObject({ enabled: z.boolean() });
const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/);

export const PreferencesDocument = z.looseObject({
  language: z.string(),
  notifications: z.looseObject({ email: Channel, push: Channel, telegram: Channel }),
  quietHours: z.object({ start: TimeOfDay, end: TimeOfDay }).nullable(),
});
export type PreferencesDocument = z.infer<typeof PreferencesDocument>;

/** GET and PUT /users/me/preferences. */
export const PreferencesReply = z.looseObject({ version: z.number().int().min(0), preferences: PreferencesDocument });
export type PreferencesState = z.infer<typeof PreferencesReply>;

/** A reminder of POST and GET /notifications/reminders. */
export const ReminderReply = z.looseObject({
  id: z.string(),
  text: z.string(),
  repeat: z.string().nullable(),
  timeZone: z.string(),
  nextAt: z.string(),
});
export type Reminder = z.infer<typeof ReminderReply>;

export const RemindersReply = z.looseObject({ reminders: z.array(ReminderReply) });
