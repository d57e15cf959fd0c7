import { instantOf, wallTimeOf } from "@lodge/kit";
import { RRule } from "rrule";

/** The named repeats, as the RRULEs they stand for (weekly and monthly on the first occurrence's weekday / day of month). */
const repeatPresets = {
  daily: "FREQ=DAILY",
  weekdays: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
  weekly: "FREQ=WEEKLY",
  monthly: "FREQ=MONTHLY",
} as const;

export type Repeat = { rule: RRule; text: string };

const HOUR_MS = 3600_000;
/** Occurrences looked at to find the shortest gap between two (a rule firing more often than hourly is refused). */
const GAP_SAMPLE = 50;

/**
 * A repeat as given (`daily`, ... or an RRULE, with or without its `RRULE:` prefix), starting at a
 * floating wall time; throws a message for the user when it is not a valid rule, names its own
 * DTSTART or zone (the reminder gives them), never fires, or fires more often than hourly.
 */
export function parseRepeat(given: string, start: Date): Repeat {
  const text = given in repeatPresets ? repeatPresets[given as keyof typeof repeatPresets] : given.trim().replace(/^RRULE:/i, "");
  if (/DTSTART|TZID|[\r\n]/i.test(text)) throw new Error("give the rule alone (FREQ=...), without DTSTART or TZID: `at` and your time zone set them");
  let options: ReturnType<typeof RRule.parseString>;
  try {
    options = RRule.parseString(text);
  } catch {
    throw new Error("not a valid RRULE (RFC 5545), e.g. FREQ=WEEKLY;BYDAY=MO,WE");
  }
  refuseCostly(options);
  const rule = new RRule({ ...options, dtstart: start, tzid: null });
  const sample = rule.all((_, index) => index < GAP_SAMPLE);
  if (sample.length === 0) throw new Error("the rule never fires");
  const gaps = sample.slice(1).map((occurrence, index) => occurrence.getTime() - (sample[index] as Date).getTime());
  if (gaps.some((gap) => gap < HOUR_MS)) throw new Error("the rule fires more often than hourly");
  return { rule, text: RRule.optionsToString({ ...rule.origOptions, dtstart: null }).replace(/^RRULE:/, "") };
}

/**
 * rrule looks for a rule's next occurrence period by period up to the year 9999, so a rule that
 * never fires costs seconds of CPU (hourly in February the 30th: nine). Refused: frequencies under
 * an hour, the parts reminders do not need (BYSECOND, BYYEARDAY, BYWEEKNO, BYEASTER), BYSETPOS
 * beyond the fifth of a month, and months and days of the month that never meet.
 */
function refuseCostly(options: ReturnType<typeof RRule.parseString>) {
  if (options.freq === undefined || options.freq === null) throw new Error("FREQ is missing");
  if (options.freq > RRule.HOURLY) throw new Error("the rule fires more often than hourly");
  const unsupported = (["bysecond", "byyearday", "byweekno", "byeaster"] as const).filter((part) => options[part] !== undefined && options[part] !== null);
  if (unsupported.length > 0) throw new Error(`${unsupported.map((part) => part.toUpperCase()).join(", ")} is not supported`);
  const positions = [options.bysetpos ?? []].flat();
  if (positions.length > 0 && (options.freq !== RRule.MONTHLY || positions.some((position) => Math.abs(position) > 5)))
    throw new Error("BYSETPOS is supported with FREQ=MONTHLY, from -5 to 5");
  if ((options.interval ?? 1) > 1000) throw new Error("INTERVAL is at most 1000");
  const months = [options.bymonth ?? []].flat();
  const days = [options.bymonthday ?? []].flat().filter((day) => day > 0);
  // Days in each month of a leap year: February the 29th does come, once in four years.
  const longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (months.length > 0 && days.length > 0 && !months.some((month) => days.some((day) => day <= (longest[month - 1] ?? 0))))
    throw new Error("the rule never fires (no month has that day)");
}

/**
 * The first occurrence strictly after `after` (an instant), at the rule's local wall time in `zone`;
 * undefined when the rule has ended. Computed on wall times, so 09:00 stays 09:00 across DST changes.
 */
export function nextOccurrence(rule: RRule, zone: string, after: Date): Date | undefined {
  let wall = wallTimeOf(after, zone);
  // A wall time that happens twice (fall-back night) maps to its later instant, which may still be `after` itself.
  for (;;) {
    const next = rule.after(wall, false);
    if (!next) return undefined;
    const instant = instantOf(next, zone);
    if (instant.getTime() > after.getTime()) return instant;
    wall = next;
  }
}
