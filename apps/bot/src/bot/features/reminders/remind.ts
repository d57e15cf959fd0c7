import { wallTimeOf } from "@lodge/kit";
import type { CommandContext } from "grammy";
import { createReminder, type ReminderRefusal } from "../../../services/create-reminder";
import { getUserPreferences } from "../../../services/get-user-preferences";
import { getUserProfile } from "../../../services/get-user-profile";
import type { BotContext } from "../../context";
import { dateLocale, describeRepeat, formatInstant, formatTimeOfDay } from "./format";
import { parseReminder } from "./when";

/** The notification service's longest reminder text. */
const REMINDER_TEXT_MAX = 500;

/**
 * `/remind <when> <text>`: read in the user's time zone (their profile at the user service) at
 * the service's clock, created at the notification service for Telegram, confirmed in the user's
 * local time; anything unreadable gets the usage. Telegram notifications being off in the user's
 * preferences (the default) would keep it from arriving here: the confirmation says so.
 */
export async function remind(ctx: CommandContext<BotContext>) {
  if (!ctx.link) return ctx.reply(ctx.t("not-linked"));
  const argument = ctx.match.trim();
  if (!argument) return ctx.reply(ctx.t("remind-usage"));
  const { userId } = ctx.link;
  const profile = await getUserProfile({ ctx: ctx.lodge, input: { userId } });
  // When the message came, not when this attempt runs: a retried update reads "in 10 minutes" the
  // same way, so the creation's idempotency key finds the same request.
  const now = ctx.receivedAt;
  const parsed = parseReminder(argument, { now, timeZone: profile.timeZone, language: await ctx.i18n.getLocale() });
  if (!parsed) return ctx.reply(ctx.t("remind-usage"));
  const view = { locale: await dateLocale(ctx, profile.locale), timeZone: profile.timeZone };
  if (parsed.text.length > REMINDER_TEXT_MAX) return ctx.reply(ctx.t("remind-too-long", { max: REMINDER_TEXT_MAX }));
  if (parsed.kind === "once" && parsed.at.getTime() <= now.getTime())
    return ctx.reply(ctx.t("remind-past", { when: formatInstant(parsed.at, { ...view, style: "long" }) }));

  // Read before creating: the user service out of reach then stops the command before anything is made.
  const { preferences } = await getUserPreferences({ ctx: ctx.lodge, input: { userId } });
  const created = await createReminder({
    ctx: ctx.lodge,
    input:
      parsed.kind === "once"
        ? { userId, text: parsed.text, at: parsed.at.toISOString(), updateId: ctx.update.update_id }
        : // A repeat's time of day is local: sent as the wall time, which the notification service keeps across DST changes.
          {
            userId,
            text: parsed.text,
            at: wallTimeOf(parsed.from, profile.timeZone).toISOString().slice(0, 16),
            repeat: parsed.rule,
            updateId: ctx.update.update_id,
          },
  });
  if ("refused" in created) return ctx.reply(refusal(ctx, created));
  const { reminder } = created;
  const next = formatInstant(reminder.nextAt, { ...view, style: "long" });
  const confirmation = reminder.repeat
    ? ctx.t("remind-created-repeat", {
        repeat: describeRepeat(ctx, reminder.repeat, view.locale),
        time: formatTimeOfDay(reminder.nextAt, view),
        next,
        text: reminder.text,
      })
    : ctx.t("remind-created", { when: next, text: reminder.text });
  await ctx.reply(preferences.notifications.telegram.enabled ? confirmation : `${confirmation}\n\n${ctx.t("remind-telegram-off")}`);
}

function refusal(ctx: BotContext, refused: ReminderRefusal): string {
  if (refused.refused === "limit") return ctx.t("remind-limit");
  if (refused.refused === "rate") return ctx.t("remind-rate");
  return ctx.t("remind-refused", { reason: refused.message });
}
