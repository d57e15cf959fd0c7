import { ApiError } from "@lodge/kit";
import { type CallbackQueryContext, type CommandContext, Composer } from "grammy";
import type { PreferencesState } from "../../../helpers/peer-replies";
import { getUserPreferences } from "../../../services/get-user-preferences";
import { setLinkLanguage } from "../../../services/set-link-language";
import { updateUserPreferences } from "../../../services/update-user-preferences";
import type { BotContext } from "../../context";
import { editInPlace } from "../../edit-in-place";
import { whenUnavailable } from "../../unavailable";
import { applyChoice, parseChoice } from "./choices";
import { settingsView } from "./view";

/**
 * `/settings`: the user's language, notification channels and quiet hours with buttons (`st:`
 * callback data) that write them to the user's preferences at the user service and update the
 * message in place. After a language change the bot speaks the new language at once.
 */
export function settings() {
  const composer = new Composer<BotContext>();
  const guarded = composer.errorBoundary(whenUnavailable);
  guarded.command("settings", showSettings);
  guarded.callbackQuery(/^st:/, changeSetting);
  return composer;
}

async function showSettings(ctx: CommandContext<BotContext>) {
  if (!ctx.link) return ctx.reply(ctx.t("not-linked"));
  const state = await getUserPreferences({ ctx: ctx.lodge, input: { userId: ctx.link.userId } });
  await adoptLanguage(ctx, state);
  const view = settingsView(ctx, state.preferences);
  await ctx.reply(view.text, { reply_markup: view.keyboard });
}

/** A settings button: validated, saved (nothing when already so), the message redrawn, the tap answered. */
async function changeSetting(ctx: CallbackQueryContext<BotContext>) {
  const choice = parseChoice(ctx.callbackQuery.data);
  if (!choice) return ctx.answerCallbackQuery({ text: ctx.t("button-stale") });
  if (!ctx.link) return ctx.answerCallbackQuery({ text: ctx.t("not-linked") });
  let saved: PreferencesState;
  try {
    saved = await updateUserPreferences({ ctx: ctx.lodge, input: { userId: ctx.link.userId, change: (preferences) => applyChoice(preferences, choice) } });
  } catch (error) {
    if (error instanceof ApiError && error.code === "CONFLICT") return ctx.answerCallbackQuery({ text: ctx.t("settings-conflict") });
    throw error;
  }
  await adoptLanguage(ctx, saved);
  if (ctx.callbackQuery.message) {
    const view = settingsView(ctx, saved.preferences);
    await editInPlace(ctx, view.text, view.keyboard);
  }
  await ctx.answerCallbackQuery({ text: ctx.t("settings-saved") });
}

/**
 * The chat speaks the language of the preferences it just read (as `user.preferences_updated` would
 * tell it later): the link keeps it, and this update's translations switch to it. Never-saved
 * preferences (version 0) change nothing: the chat keeps Telegram's language until the user picks one.
 */
async function adoptLanguage(ctx: BotContext, state: PreferencesState) {
  const link = ctx.link;
  const language = state.preferences.language;
  if (!link || state.version === 0 || link.language === language) return;
  await setLinkLanguage({ ctx: ctx.lodge, input: { userId: link.userId, language, version: state.version } });
  ctx.link = { ...link, language };
  await ctx.i18n.renegotiateLocale();
}
