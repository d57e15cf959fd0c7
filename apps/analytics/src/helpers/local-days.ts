import { z } from "@hono/zod-openapi";
import { isTimeZone } from "@lodge/kit";
import { type DayRange, type Period, resolvePeriod } from "./periods";

/**
 * An IANA zone name (`Europe/Berlin`), as Postgres and Temporal both read it: no bare offsets
 * (`+05:00` means the opposite in Postgres's POSIX reading).
 */
export const TimeZoneParam = z
  .string()
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/, "an IANA time zone name")
  .refine(isTimeZone, "not a known time zone")
  .default("UTC")
  .openapi({ description: "IANA time zone the days and buckets are in", example: "Europe/Berlin" });

export const DayParam = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD")
  .openapi({ description: "A local day, YYYY-MM-DD" });

export const INTERVALS = ["day", "week", "month"] as const;
export type Interval = (typeof INTERVALS)[number];

/** The local days `from`..`to` (both included, at most 800): both given, or neither for the 30 days up to today. */
export function daysPeriod(query: { from?: string | undefined; to?: string | undefined }, timeZone: string, now: Date): Period & { days: DayRange } {
  const period = query.from === undefined && query.to === undefined ? ("30d" as const) : ("custom" as const);
  return resolvePeriod({ period, from: query.from, to: query.to }, timeZone, now) as Period & { days: DayRange };
}

/** The first day of the bucket `day` falls in: itself, its week's Monday (ISO weeks, as Postgres's date_trunc), or the 1st of its month. */
export function bucketStart(day: Temporal.PlainDate, interval: Interval): Temporal.PlainDate {
  if (interval === "week") return day.subtract({ days: day.dayOfWeek - 1 });
  if (interval === "month") return day.with({ day: 1 });
  return day;
}

/** The buckets covering the days (`YYYY-MM-DD` of each one's first day; the first and last may reach beyond them). */
export function bucketsOf(days: DayRange, interval: Interval): string[] {
  const last = Temporal.PlainDate.from(days.last);
  const buckets: string[] = [];
  for (let start = bucketStart(Temporal.PlainDate.from(days.first), interval); Temporal.PlainDate.compare(start, last) <= 0; ) {
    buckets.push(start.toString());
    start = start.add(interval === "day" ? { days: 1 } : interval === "week" ? { weeks: 1 } : { months: 1 });
  }
  return buckets;
}
