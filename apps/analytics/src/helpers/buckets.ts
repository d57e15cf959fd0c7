import { ApiError } from "@lodge/kit";
import { sql } from "drizzle-orm";
import type { Bucketing } from "./aggregates";
import type { DayRange, PeriodName } from "./periods";

export const INTERVALS = ["hour", "day", "week", "month"] as const;
export type Interval = (typeof INTERVALS)[number];

/** The most buckets a timeseries answers (an hourly year is refused: ask for days). */
export const MAX_BUCKETS = 1000;

/** One bucket of a timeseries: its key in SQL and its label (an hour's local start with its offset; a day, week (its Monday) or month (its first day)). */
export type Bucket = { key: string; date: string };

/** hour for a day, month for 12 months, day otherwise (a one-day custom period: hour). */
export function defaultInterval(period: PeriodName, days: DayRange): Interval {
  if (period === "day" || (period === "custom" && days.first === days.last)) return "hour";
  return period === "12mo" ? "month" : "day";
}

/**
 * The buckets of a whole-days period in the site's zone, DST-correct: hours are counted from the
 * period's first instant (a day has 23 or 25 of them when the clocks change), days, weeks and
 * months are local calendar ones. With the SQL that puts a timestamp (or a rollup's day) in one.
 */
export function bucketsOf(span: { from: Date; to: Date; days: DayRange }, timeZone: string, interval: Interval): { buckets: Bucket[]; bucketing: Bucketing } {
  const tooMany = () =>
    new ApiError({
      code: "VALIDATION_FAILED",
      message: `Too many buckets: at most ${MAX_BUCKETS} (ask for a longer interval)`,
      details: [{ path: "interval", message: `at most ${MAX_BUCKETS} buckets` }],
    });
  if (interval === "hour") {
    const count = Math.ceil((span.to.getTime() - span.from.getTime()) / 3_600_000);
    if (count > MAX_BUCKETS) throw tooMany();
    const buckets = Array.from({ length: count }, (_, index) => ({
      key: String(index),
      date: Temporal.Instant.fromEpochMilliseconds(span.from.getTime() + index * 3_600_000)
        .toZonedDateTimeISO(timeZone)
        .toString({ timeZoneName: "never" }),
    }));
    const fromSeconds = span.from.getTime() / 1000;
    return {
      buckets,
      bucketing: {
        ofTime: (column) => sql`floor((extract(epoch from ${column}) - ${fromSeconds}) / 3600)::bigint::text`,
        ofDay: () => sql`'-'`,
        hourlyVisitors: true,
      },
    };
  }
  const last = Temporal.PlainDate.from(span.days.last);
  let start = Temporal.PlainDate.from(span.days.first);
  if (interval === "week") start = start.subtract({ days: start.dayOfWeek - 1 });
  if (interval === "month") start = start.with({ day: 1 });
  const step = interval === "day" ? { days: 1 } : interval === "week" ? { weeks: 1 } : { months: 1 };
  const buckets: Bucket[] = [];
  for (let day = start; Temporal.PlainDate.compare(day, last) <= 0; day = day.add(step)) {
    if (buckets.length === MAX_BUCKETS) throw tooMany();
    buckets.push({ key: day.toString(), date: day.toString() });
  }
  const bucketing: Bucketing =
    interval === "day"
      ? { ofTime: (column) => sql`(${column} at time zone ${timeZone})::date::text`, ofDay: (column) => sql`${column}::text`, hourlyVisitors: false }
      : {
          ofTime: (column) => sql`date_trunc(${interval}, ${column} at time zone ${timeZone})::date::text`,
          ofDay: (column) => sql`date_trunc(${interval}, ${column}::timestamp)::date::text`,
          hourlyVisitors: false,
        };
  return { buckets, bucketing };
}
