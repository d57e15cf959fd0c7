import type { PreferencesDocument } from "../../../helpers/peer-replies";
import { type BotLanguage, botLanguages } from "../../i18n";

export const settingsChannels = ["email", "push", "telegram"] as const;
export type SettingsChannel = (typeof settingsChannels)[number];
export type QuietHours = { start: string; end: string } | null;

/** The quiet hours offered (local, in the user's profile zone); others set on the web are shown, not offered. */
export const quietPresets: QuietHours[] = [
  null,
  { start: "21:00", end: "06:00" },
  { start: "22:00", end: "07:00" },
  { start: "23:00", end: "07:00" },
  { start: "23:00", end: "08:00" },
  { start: "00:00", end: "08:00" },
];

/** What a settings button sets. Each names the value it sets (not "toggle"), so a double tap or an old message sets nothing unexpected. */
export type Choice =
  | { kind: "language"; language: BotLanguage }
  | { kind: "channel"; channel: SettingsChannel; enabled: boolean }
  | { kind: "quiet"; hours: QuietHours };

/** A button's callback data, within Telegram's 64 bytes: `st:lang:de`, `st:ch:telegram:1`, `st:qh:2200-0700`, `st:qh:off`. */
export function choiceData(choice: Choice): string {
  if (choice.kind === "language") return `st:lang:${choice.language}`;
  if (choice.kind === "channel") return `st:ch:${choice.channel}:${choice.enabled ? 1 : 0}`;
  return `st:qh:${choice.hours ? `${choice.hours.start}-${choice.hours.end}`.replaceAll(":", "") : "off"}`;
}

const encoded = /^st:(?:lang:(?<language>[a-z]{2})|ch:(?<channel>[a-z]+):(?<enabled>[01])|qh:(?<quiet>off|\d{4}-\d{4}))$/;

/** The choice behind callback data, or null for anything the buttons never send (forged, or from an older bot). */
export function parseChoice(data: string): Choice | null {
  const groups = encoded.exec(data)?.groups;
  if (!groups) return null;
  const language = botLanguages.find((known) => known === groups.language);
  if (language) return { kind: "language", language };
  const channel = settingsChannels.find((known) => known === groups.channel);
  if (channel) return { kind: "channel", channel, enabled: groups.enabled === "1" };
  const hours = quietPresets.find((preset) => groups.quiet !== undefined && choiceData({ kind: "quiet", hours: preset }) === data);
  return hours === undefined ? null : { kind: "quiet", hours };
}

/** The document with the choice made, or null when it is already so (nothing to write). */
export function applyChoice(preferences: PreferencesDocument, choice: Choice): PreferencesDocument | null {
  if (choice.kind === "language") {
    if (preferences.language.toLowerCase().split("-")[0] === choice.language) return null;
    return { ...preferences, language: choice.language };
  }
  if (choice.kind === "channel") {
    const current = preferences.notifications[choice.channel];
    if (current.enabled === choice.enabled) return null;
    return { ...preferences, notifications: { ...preferences.notifications, [choice.channel]: { ...current, enabled: choice.enabled } } };
  }
  if (sameHours(preferences.quietHours, choice.hours)) return null;
  return { ...preferences, quietHours: choice.hours };
}

export function sameHours(a: QuietHours, b: QuietHours): boolean {
  return a === b || (a !== null && b !== null && a.start === b.start && a.end === b.end);
}
