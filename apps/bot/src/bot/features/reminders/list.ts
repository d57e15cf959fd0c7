import { type CallbackQueryContext, type CommandContext, InlineKeyboard } from "grammy";
import type { Reminder } from "../../../helpers/peer-replies";
import { cancelReminder } from "../../../services/cancel-reminder";
import { listReminders } from "../../../services/list-reminders";
import type { BotContext } from "../../context";
import { editInPlace } from "../../edit-in-place";
import { dateLocale, describeRepeat, formatInstant } from "./format";

/** Reminders listed (soonest first), each with its cancel button. */
const LISTED = 20;
/** How much of a reminder's text a list line and a button show. */
const LINE_CHARS = 80;
const BUTTON_CHARS = 28;

/** A cancel button's data: `rm:x:<reminder id>` (41 bytes, within Telegram's 64). */
const cancelData = /^rm:x:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** `/reminders`: the user's reminders, when each comes next (local time), a button to cancel each. */
export async function showReminders(ctx: CommandContext<BotContext>) {
  if (!ctx.link) return ctx.reply(ctx.t("not-linked"));
  const list = await reminderList(ctx, ctx.link.userId);
  await ctx.reply(list.text, { reply_markup: list.keyboard });
}

/**
 * A cancel button: the reminder is deleted for the chat's user, and the list is shown again in
 * the same message. An id that is not the user's (forged, or another user's) or is gone already
 * deletes nothing (the notification service answers 404) and gets a polite answer.
 */
export async function cancelFromList(ctx: CallbackQueryContext<BotContext>) {
  const id = cancelData.exec(ctx.callbackQuery.data)?.[1];
  if (!id) return ctx.answerCallbackQuery({ text: ctx.t("button-stale") });
  if (!ctx.link) return ctx.answerCallbackQuery({ text: ctx.t("not-linked") });
  const cancelled = await cancelReminder({ ctx: ctx.lodge, input: { userId: ctx.link.userId, id: id.toLowerCase() } });
  if (ctx.callbackQuery.message) {
    const list = await reminderList(ctx, ctx.link.userId);
    await editInPlace(ctx, list.text, list.keyboard);
  }
  await ctx.answerCallbackQuery({ text: ctx.t(cancelled ? "reminders-cancelled" : "reminders-cancel-gone") });
}

async function reminderList(ctx: BotContext, userId: string): Promise<{ text: string; keyboard: InlineKeyboard }> {
  const reminders = await listReminders({ ctx: ctx.lodge, input: { userId } });
  const keyboard = new InlineKeyboard();
  if (reminders.length === 0) return { text: ctx.t("reminders-none"), keyboard };
  const locale = await dateLocale(ctx);
  const shown = reminders.slice(0, LISTED);
  const lines = shown.map((reminder, index) => `${index + 1}. ${cut(reminder.text, LINE_CHARS)} — ${whenNext(ctx, reminder, locale)}`);
  for (const [index, reminder] of shown.entries()) {
    keyboard.text(ctx.t("reminders-cancel-button", { number: index + 1, text: cut(reminder.text, BUTTON_CHARS) }), `rm:x:${reminder.id}`).row();
  }
  const more = reminders.length > shown.length ? `\n${ctx.t("reminders-more", { count: reminders.length - shown.length })}` : "";
  return { text: `${ctx.t("reminders-title", { count: reminders.length })}\n\n${lines.join("\n")}${more}`, keyboard };
}

/** When a reminder comes next, in the zone it was set in (the user's). */
function whenNext(ctx: BotContext, reminder: Reminder, locale: string): string {
  const next = formatInstant(reminder.nextAt, { locale, timeZone: reminder.timeZone, style: "short" });
  return reminder.repeat ? ctx.t("reminders-repeat", { repeat: describeRepeat(ctx, reminder.repeat, locale), next }) : next;
}

/** The first line of a text, cut to `max` characters. */
function cut(text: string, max: number): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
