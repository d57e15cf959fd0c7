import { deletions, preferences, profiles } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { defaultPreferences, readDocument } from "../helpers/preferences";

/**
 * What decides how and when a user is notified: the profile's locale and time zone, and from the
 * preferences the language, per-channel defaults and quiet hours (the defaults, `version: 0`, before
 * the first save). For services whose local copy, kept from `user.profile_updated` and
 * `user.preferences_updated`, misses the user. 404 for an unknown account or one being deleted.
 */
export async function getNotificationSettings({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db } = ctx.deps;
  const [[profile], [tombstone], [saved]] = await Promise.all([
    db.select().from(profiles).where(eq(profiles.userId, input.userId)).limit(1),
    db.select({ userId: deletions.userId }).from(deletions).where(eq(deletions.userId, input.userId)).limit(1),
    db.select().from(preferences).where(eq(preferences.userId, input.userId)).limit(1),
  ]);
  if (!profile || tombstone) throw new ApiError({ code: "NOT_FOUND", message: "No such user" });
  const { language, notifications, quietHours } = saved ? readDocument(saved.document) : defaultPreferences;
  return { userId: profile.userId, locale: profile.locale, timezone: profile.timezone, language, notifications, quietHours, version: saved?.version ?? 0 };
}
