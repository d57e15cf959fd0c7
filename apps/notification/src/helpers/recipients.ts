import { erasedUserKey, erasedUsers, type NotificationSettings, recipients } from "@lodge/db/schema";
import { defaultPreferences } from "@lodge/events";
import { eq } from "drizzle-orm";
import { defaultLocale, type Locale, localeFor } from "../catalog/index";
import type { Ctx } from "../deps";

export type Recipient = { email: string | null; locale: Locale; timeZone: string; settings: NotificationSettings };

/** The user service's defaults, for a user whose settings this service has not seen. */
const defaultSettings: NotificationSettings = { notifications: defaultPreferences.notifications, quietHours: defaultPreferences.quietHours };

/**
 * How to address a user: the local copy fed by events. The language and time zone fall back to
 * English and UTC; `user.preferences_updated` (the language) and `user.profile_updated` (the time
 * zone, and the locale until preferences are saved) fill them. No row: no address (email deliveries are
 * then skipped with reason `no_address`). `reader`: a transaction already holding a connection.
 */
export async function recipientOf(ctx: Ctx, userId: string, reader: Pick<Ctx["deps"]["db"], "select"> = ctx.deps.db): Promise<Recipient> {
  const [row] = await reader.select().from(recipients).where(eq(recipients.userId, userId));
  return recipientFrom(row);
}

/** A recipients row (or none, or a row of nulls) as a Recipient, its blanks filled with the defaults. */
export function recipientFrom(row: Pick<typeof recipients.$inferSelect, "email" | "locale" | "timeZone" | "settings"> | undefined): Recipient {
  return {
    email: row?.email ?? null,
    locale: row ? localeFor(row.locale) : defaultLocale,
    timeZone: row?.timeZone ?? "UTC",
    settings: row?.settings ?? defaultSettings,
  };
}

/** Whether this service erased the user's data (an account deletion). */
export async function wasErased(reader: Pick<Ctx["deps"]["db"], "select">, userId: string): Promise<boolean> {
  const [row] = await reader
    .select({ userKey: erasedUsers.userKey })
    .from(erasedUsers)
    .where(eq(erasedUsers.userKey, erasedUserKey(userId)));
  return row !== undefined;
}
