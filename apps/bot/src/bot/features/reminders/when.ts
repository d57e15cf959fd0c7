import { instantOf, nextLocalTime, wallTimeOf } from "@lodge/kit";
import * as chrono from "chrono-node";

/** `/remind <when> <text>`, read: once at an instant, or on a repeat at a local time of day. */
export type ParsedReminder =
  | { kind: "once"; at: Date; text: string }
  | {
      kind: "repeat";
      /** The notification service's RRULE form (`FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR`). */
      rule: string;
      /** `HH:MM`, local. */
      time: string;
      /** The next time the clock shows `time` (the rule's days are the notification service's to pick from there). */
      from: Date;
      text: string;
    };

const weekdays = ["MO", "TU", "WE", "TH", "FR"] as const;
const dayCodes = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
export type DayCode = (typeof dayCodes)[number];

/** Day names in English and German (an `s` may follow: `mondays`, `montags`). */
const dayNames: Record<string, DayCode> = {
  monday: "MO",
  mon: "MO",
  tuesday: "TU",
  tues: "TU",
  tue: "TU",
  wednesday: "WE",
  wed: "WE",
  thursday: "TH",
  thurs: "TH",
  thu: "TH",
  friday: "FR",
  fri: "FR",
  saturday: "SA",
  sat: "SA",
  sunday: "SU",
  sun: "SU",
  montag: "MO",
  dienstag: "TU",
  mittwoch: "WE",
  donnerstag: "TH",
  freitag: "FR",
  samstag: "SA",
  sonnabend: "SA",
  sonntag: "SU",
};
const dayName = `(?:${Object.keys(dayNames)
  .sort((a, b) => b.length - a.length)
  .join("|")})s?`;
const dayList = new RegExp(`^(${dayName}(?:\\s*(?:,|&|\\band\\b|\\bund\\b)\\s*${dayName})*)(?=\\s|$)`, "i");

/** What follows `every` / `jeden`: a day, a weekday, the weekend, or a list of days. */
const repeatSets: [RegExp, string][] = [
  [/^(?:day|tag)(?=\s|$)/i, "FREQ=DAILY"],
  [/^(?:weekday|workday|werktag|arbeitstag)(?=\s|$)/i, `FREQ=WEEKLY;BYDAY=${weekdays.join(",")}`],
  [/^(?:weekend|wochenende)(?=\s|$)/i, "FREQ=WEEKLY;BYDAY=SA,SU"],
];
/** Repeats said in one word. */
const repeatWords: [RegExp, string][] = [
  [/^(?:daily|täglich)(?=\s|$)/i, "FREQ=DAILY"],
  [/^(?:weekdays|werktags)(?=\s|$)/i, `FREQ=WEEKLY;BYDAY=${weekdays.join(",")}`],
];
const every = /^(?:every|each|jeden|jede|jedes)\s+/i;

/** A time of day: `8:30`, `8.30`, `at 8`, `8am`, `8:30 pm`, `um 8 Uhr`, `20h`. */
const timeOfDay = /^(?:(at|um)\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?|uhr|h)?(?=\s|$)/i;

/** Words between the time and the reminder's text that belong to neither: `to`, `:`, `-`. */
const leadIn = /^(?:(?:to|that)\s+|[:\-–—,]\s*)/i;

/**
 * Reads `/remind`'s argument in the user's time zone, `now` being the service's clock: a repeat
 * (`every weekday 8:30`, `every monday and thursday 9:00`, `daily 7:00`, `jeden Werktag 8:30`)
 * by the rules above, anything else with chrono (English, then German, or the other way round
 * for a German chat): `in 10 minutes`, `tomorrow 9:00`, `on 2027-01-15 14:00`, `at 18:00`,
 * `morgen 9 Uhr`, `am 15.01.2027 14:00`. Null when no time starts the text, or no text follows it.
 */
export function parseReminder(input: string, options: { now: Date; timeZone: string; language: string }): ParsedReminder | null {
  const trimmed = input.trim();
  return parseRepeat(trimmed, options) ?? parseOnce(trimmed, options);
}

function parseRepeat(input: string, options: { now: Date; timeZone: string }): ParsedReminder | null {
  let rule: string | undefined;
  let rest = input;
  const word = repeatWords.find(([pattern]) => pattern.test(rest));
  if (word) {
    rule = word[1];
    rest = rest.replace(word[0], "");
  } else {
    const prefix = every.exec(rest);
    if (!prefix) return null;
    rest = rest.slice(prefix[0].length);
    const set = repeatSets.find(([pattern]) => pattern.test(rest));
    const days = set ? undefined : dayList.exec(rest);
    if (set) {
      rule = set[1];
      rest = rest.replace(set[0], "");
    } else if (days?.[1]) {
      rule = weeklyOn(days[1]);
      rest = rest.slice(days[1].length);
    }
  }
  if (!rule) return null;
  rest = rest.trimStart();
  const time = timeOfDay.exec(rest);
  const hhmm = time ? clockTime(time) : undefined;
  if (!time || !hhmm) return null;
  const text = reminderText(rest.slice(time[0].length));
  if (!text) return null;
  return { kind: "repeat", rule, time: hhmm, from: nextLocalTime(options.now, options.timeZone, hhmm), text };
}

/** `monday and thursday` → `FREQ=WEEKLY;BYDAY=MO,TH` (in the week's order, once each). */
function weeklyOn(list: string): string {
  const named = list
    .toLowerCase()
    .split(/\s*(?:,|&|\band\b|\bund\b)\s*/)
    .map((name) => dayNames[name] ?? dayNames[name.replace(/s$/, "")]);
  const days = dayCodes.filter((code) => named.includes(code));
  return `FREQ=WEEKLY;BYDAY=${days.join(",")}`;
}

/** `HH:MM` of a matched time of day; undefined when it is none (`25:00`, `13pm`, or a bare number without `at`, `:` or `am`). */
function clockTime(match: RegExpExecArray): string | undefined {
  const [, at, hours, minutes, suffix] = match;
  const meridiem = suffix?.toLowerCase().replaceAll(".", "");
  if (!at && minutes === undefined && !suffix) return undefined;
  let hour = Number(hours);
  const minute = Number(minutes ?? 0);
  if (minute > 59) return undefined;
  if (meridiem === "am" || meridiem === "pm") {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem === "pm" ? 12 : 0);
  }
  if (hour > 23) return undefined;
  return `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
}

function parseOnce(input: string, options: { now: Date; timeZone: string; language: string }): ParsedReminder | null {
  // chrono reads the wall clock of the user's zone as if it were UTC; the wall time it finds is then placed in the zone.
  const wallNow = wallTimeOf(options.now, options.timeZone);
  const parsers = options.language === "de" ? [chrono.de, chrono.en] : [chrono.en, chrono.de];
  for (const parser of parsers) {
    const [found] = parser.parse(input, { instant: wallNow, timezone: 0 }, { forwardDate: true });
    if (!found || !/^(?:(?:on|at|am|um)\s+)?$/i.test(input.slice(0, found.index))) continue;
    const text = reminderText(input.slice(found.index + found.text.length));
    if (!text) return null;
    return { kind: "once", at: instantFound(found, { ...options, wallNow }), text };
  }
  return null;
}

/** The instant chrono found: `in 10 minutes` is a duration from now (across a DST change too), a time with its own offset is that instant, any other a wall time in the zone. */
function instantFound(found: chrono.ParsedResult, options: { now: Date; timeZone: string; wallNow: Date }): Date {
  const date = found.date();
  if (found.tags().has("result/relativeDateAndTime")) return new Date(options.now.getTime() + (date.getTime() - options.wallNow.getTime()));
  if (found.start.isCertain("timezoneOffset")) return date;
  return instantOf(date, options.timeZone);
}

function reminderText(rest: string): string {
  return rest.trim().replace(leadIn, "").trim();
}
