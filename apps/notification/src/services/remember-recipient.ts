import { type NotificationSettings, recipients } from "@lodge/db/schema";
import { sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { wasErased } from "../helpers/recipients";

/**
 * Records what an event says of a user (only the fields it carries change). Idempotent. `locale`
 * and `settings` with `preferencesVersion` (the preferences' language, channels and quiet hours)
 * are kept only if that version is newer than
 * the one recorded, so a late older save changes nothing; `locale` without it (the profile's)
 * counts only while no preferences save has been seen (none, or version 0: the defaults read from
 * the user service): once saved, the preferences' language is the one
 * notifications are written in. Nothing is stored for a user whose data was erased.
 */
export async function rememberRecipient({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: {
    userId: string;
    email?: string;
    locale?: string | null;
    timeZone?: string | null;
    /** The preferences' channels and quiet hours, with `preferencesVersion`. */
    settings?: NotificationSettings;
    preferencesVersion?: number;
  };
}) {
  const { userId, ...known } = input;
  const changes = Object.fromEntries(Object.entries(known).filter(([, value]) => value !== undefined));
  const newerPreferences = sql`coalesce(${recipients.preferencesVersion}, -1) < excluded.preferences_version`;
  const set = {
    ...changes,
    ...(input.locale !== undefined && {
      locale:
        input.preferencesVersion === undefined
          ? sql`case when coalesce(${recipients.preferencesVersion}, 0) = 0 then excluded.locale else ${recipients.locale} end`
          : sql`case when ${newerPreferences} then excluded.locale else ${recipients.locale} end`,
    }),
    ...(input.settings !== undefined && { settings: sql`case when ${newerPreferences} then excluded.settings else ${recipients.settings} end` }),
    ...(input.preferencesVersion !== undefined && { preferencesVersion: sql`greatest(${recipients.preferencesVersion}, excluded.preferences_version)` }),
    updatedAt: sql`excluded.updated_at`,
  };
  await ctx.deps.db.transaction(async (tx) => {
    if (await wasErased(tx, userId)) return;
    await tx
      .insert(recipients)
      .values({ userId, ...changes, updatedAt: ctx.deps.clock() })
      .onConflictDoUpdate({ target: recipients.userId, set });
  });
}
