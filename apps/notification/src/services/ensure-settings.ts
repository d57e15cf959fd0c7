import { recipients } from "@lodge/db/schema";
import { eventData } from "@lodge/events";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Ctx } from "../deps";
import { rememberRecipient } from "./remember-recipient";

const document = eventData["user.preferences_updated"].shape.preferences;

/** What GET /users/{id}/settings answers (the user service's NotificationSettings). */
const SettingsReply = z.object({
  locale: z.string(),
  timezone: z.string(),
  language: z.string(),
  notifications: document.shape.notifications,
  quietHours: document.shape.quietHours,
  version: z.number().int().min(0),
});

/**
 * Makes sure this service's copy knows the user's settings before a notification is planned: a
 * user who saved preferences before this service ran (or whose events it has not seen yet) is read
 * from the user service once, with this service's client token, and stored as an event would be.
 * Version 0 (never saved: the defaults) keeps the profile's locale, as the events would. Unreachable
 * or refusing, the notification goes with what is known and the next one asks again.
 */
export async function ensureSettings({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db, users } = ctx.deps;
  if (!users) return;
  const [known] = await db.select({ version: recipients.preferencesVersion }).from(recipients).where(eq(recipients.userId, input.userId));
  if (known && known.version !== null) return;
  try {
    const reply = await users.call("user", `/users/${input.userId}/settings`, { method: "GET", requestId: ctx.requestId });
    if (reply.status !== 200) {
      ctx.logger.warn({ userId: input.userId, status: reply.status }, "the user service has no settings for this user; notifying with the defaults");
      return;
    }
    const settings = SettingsReply.parse(reply.json);
    await rememberRecipient({
      ctx,
      input: {
        userId: input.userId,
        locale: settings.version === 0 ? settings.locale : settings.language,
        timeZone: settings.timezone,
        settings: { notifications: settings.notifications, quietHours: settings.quietHours },
        preferencesVersion: settings.version,
      },
    });
  } catch (error) {
    ctx.logger.warn({ err: error, userId: input.userId }, "user settings unavailable; notifying with what is known");
  }
}
