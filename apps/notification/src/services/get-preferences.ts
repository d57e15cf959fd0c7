import { categoryPreferences, recipients } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import { type Category, categories, lockedCategories } from "../catalog/index";
import type { Ctx } from "../deps";
import { type SettingsChannel, settingsChannels } from "../helpers/delivery-plan";
import { recipientOf } from "../helpers/recipients";

/** Where an effective value comes from. */
type Source = "critical" | "settings" | "category" | "default";

/**
 * The user's effective matrix, category × channel, each value with its source: `critical` (the
 * category's types are always sent), `settings` (the channel is off in the user service's
 * preferences, which win), `category` (the user's choice here) or `default` (on). Beside it the
 * per-channel settings and quiet hours as this service last heard them from the user service.
 */
export async function getPreferences({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db } = ctx.deps;
  const [recipient, [stored], choices] = await Promise.all([
    recipientOf(ctx, input.userId),
    db.select({ version: recipients.preferencesVersion }).from(recipients).where(eq(recipients.userId, input.userId)),
    db.select().from(categoryPreferences).where(eq(categoryPreferences.userId, input.userId)),
  ]);
  const choiceOf = (category: Category, channel: SettingsChannel) =>
    choices.find((choice) => choice.category === category && choice.channel === channel)?.enabled;
  const cell = (category: Category, channel: SettingsChannel): { enabled: boolean; source: Source } => {
    if (lockedCategories.includes(category)) return { enabled: true, source: "critical" };
    if (!recipient.settings.notifications[channel].enabled) return { enabled: false, source: "settings" };
    const choice = choiceOf(category, channel);
    return choice === undefined ? { enabled: true, source: "default" } : { enabled: choice, source: "category" };
  };
  return {
    categories: Object.fromEntries(
      categories.map((category) => [category, Object.fromEntries(settingsChannels.map((channel) => [channel, cell(category, channel)]))]),
    ) as Record<Category, Record<SettingsChannel, { enabled: boolean; source: Source }>>,
    channels: recipient.settings.notifications,
    quietHours: recipient.settings.quietHours,
    timeZone: recipient.timeZone,
    /** The user service's preferences version these come from (0: its defaults, none seen). */
    settingsVersion: stored?.version ?? 0,
  };
}
