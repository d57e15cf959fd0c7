import { InlineKeyboard } from "grammy";
import type { PreferencesDocument } from "../../../helpers/peer-replies";
import type { BotContext } from "../../context";
import { botLanguages } from "../../i18n";
import { choiceData, type QuietHours, quietPresets, sameHours, settingsChannels } from "./choices";

/** Each language by its own name. */
const languageNames: Record<string, string> = { en: "English", de: "Deutsch" };

/** The settings message: the user's preferences in words, and the buttons that change them (the current value ticked). */
export function settingsView(ctx: BotContext, preferences: PreferencesDocument): { text: string; keyboard: InlineKeyboard } {
  const language = preferences.language.toLowerCase().split("-")[0] ?? "";
  const channels = settingsChannels.map((channel) =>
    ctx.t("settings-channel-state", {
      channel: ctx.t(`settings-channel-${channel}`),
      state: ctx.t(preferences.notifications[channel].enabled ? "settings-on" : "settings-off"),
    }),
  );
  const text = [
    ctx.t("settings-title"),
    "",
    ctx.t("settings-language", { language: languageNames[language] ?? preferences.language }),
    ctx.t("settings-notifications", { channels: channels.join(", ") }),
    ctx.t("settings-quiet-hours", { hours: hoursText(ctx, preferences.quietHours) }),
    "",
    ctx.t("settings-hint"),
  ].join("\n");

  const keyboard = new InlineKeyboard();
  for (const option of botLanguages) {
    keyboard.text(`${language === option ? "✓ " : ""}${languageNames[option]}`, choiceData({ kind: "language", language: option }));
  }
  keyboard.row();
  for (const channel of settingsChannels) {
    const enabled = preferences.notifications[channel].enabled;
    keyboard.text(`${enabled ? "🔔" : "🔕"} ${ctx.t(`settings-channel-${channel}`)}`, choiceData({ kind: "channel", channel, enabled: !enabled }));
  }
  for (const [index, hours] of quietPresets.entries()) {
    if (index % 3 === 0) keyboard.row();
    const label = hours ? hoursText(ctx, hours) : ctx.t("settings-quiet-off");
    keyboard.text(`${sameHours(preferences.quietHours, hours) ? "✓ " : ""}${label}`, choiceData({ kind: "quiet", hours }));
  }
  return { text, keyboard };
}

function hoursText(ctx: BotContext, hours: QuietHours): string {
  return hours ? `${hours.start}–${hours.end}` : ctx.t("settings-quiet-none");
}
