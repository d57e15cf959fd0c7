import type { BotContext } from "../../context";

/** The locale dates are written in: the user's (`en-GB`, `de-AT`) when it is of the language the chat speaks, else that language. */
export async function dateLocale(ctx: BotContext, userLocale?: string): Promise<string> {
  const language = await ctx.i18n.getLocale();
  return userLocale && userLocale.toLowerCase().split("-")[0] === language ? userLocale : language;
}

/** An instant as the user reads it, in their time zone: `long` with the weekday and year, `short` for lists. */
export function formatInstant(at: Date | string, options: { locale: string; timeZone: string; style: "long" | "short" }): string {
  const format =
    options.style === "long"
      ? { dateStyle: "full", timeStyle: "short" }
      : { weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit" };
  return new Intl.DateTimeFormat(options.locale, { ...format, timeZone: options.timeZone } as Intl.DateTimeFormatOptions).format(new Date(at));
}

/** A local time of day (`08:30`) as the user's locale writes it. */
export function formatTimeOfDay(at: Date | string, options: { locale: string; timeZone: string }): string {
  return new Intl.DateTimeFormat(options.locale, { timeStyle: "short", timeZone: options.timeZone }).format(new Date(at));
}

const dayCodes = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/** A reminder's RRULE in words (`every weekday`, `every Monday and Thursday`); a rule made elsewhere that the bot cannot say is shown as it is. */
export function describeRepeat(ctx: BotContext, rule: string, locale: string): string {
  if (rule === "FREQ=DAILY") return ctx.t("repeat-daily");
  if (rule === "FREQ=WEEKLY") return ctx.t("repeat-weekly");
  if (rule === "FREQ=MONTHLY") return ctx.t("repeat-monthly");
  const days = /^FREQ=WEEKLY;BYDAY=((?:MO|TU|WE|TH|FR|SA|SU)(?:,(?:MO|TU|WE|TH|FR|SA|SU))*)$/.exec(rule)?.[1];
  if (!days) return ctx.t("repeat-other", { rule });
  if (days === "MO,TU,WE,TH,FR") return ctx.t("repeat-weekdays");
  if (days === "SA,SU") return ctx.t("repeat-weekend");
  // 2024-01-01 was a Monday.
  const dayName = new Intl.DateTimeFormat(locale, { weekday: "long", timeZone: "UTC" });
  const names = days.split(",").map((code) => dayName.format(new Date(Date.UTC(2024, 0, 1 + dayCodes.indexOf(code)))));
  return ctx.t("repeat-days", { days: new Intl.ListFormat(locale, { type: "conjunction" }).format(names) });
}
