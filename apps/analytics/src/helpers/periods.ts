import { ApiError } from "@lodge/kit";

/** The periods a query may ask for: the last 5 minutes, or whole days in the site's time zone. */
export const PERIODS = ["realtime", "day", "7d", "30d", "month", "12mo", "custom"] as const;
export type PeriodName = (typeof PERIODS)[number];

export type PeriodQuery = {
  period: PeriodName;
  /** The day a period ends on (`day`: that day; `7d`: the 7 days up to it; `month`: its month), in the site's zone; today unless given. */
  date?: string;
  /** `custom`: the first and last day, both included. */
  from?: string;
  to?: string;
};

/** Local days, both included (`YYYY-MM-DD` in the site's zone). */
export type DayRange = { first: string; last: string };

export type Period = {
  /** [from, to): instants. */
  from: Date;
  to: Date;
  timeZone: string;
  /** The local days the period covers; null for realtime (not whole days). */
  days: DayRange | null;
  /** The period of the same length just before, for the change figures (null for realtime). */
  previous: { from: Date; to: Date; days: DayRange } | null;
};

/** The longest custom period (days): a query cannot make Postgres scan years of events by accident. */
export const MAX_PERIOD_DAYS = 800;
const REALTIME_MS = 5 * 60_000;

const invalid = (path: string, message: string) =>
  new ApiError({ code: "VALIDATION_FAILED", message: `Invalid period: ${message}`, details: [{ path, message }] });

function plainDate(value: string, path: string): Temporal.PlainDate {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw invalid(path, "expected YYYY-MM-DD");
  try {
    return Temporal.PlainDate.from(value, { overflow: "reject" });
  } catch {
    throw invalid(path, "not a calendar date");
  }
}

/** The instant a local day begins in `timeZone` (a day may begin at 01:00 where DST starts at midnight). */
export function startOfDay(day: Temporal.PlainDate | string, timeZone: string): Date {
  const date = typeof day === "string" ? Temporal.PlainDate.from(day) : day;
  return new Date(date.toZonedDateTime({ timeZone }).epochMilliseconds);
}

/** The local day (`YYYY-MM-DD`) an instant falls on in `timeZone`. */
export function localDay(at: Date, timeZone: string): string {
  return Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(timeZone).toPlainDate().toString();
}

function daysPeriod(first: Temporal.PlainDate, last: Temporal.PlainDate, timeZone: string, previousFirst: Temporal.PlainDate): Period {
  const previousLast = first.subtract({ days: 1 });
  return {
    from: startOfDay(first, timeZone),
    to: startOfDay(last.add({ days: 1 }), timeZone),
    timeZone,
    days: { first: first.toString(), last: last.toString() },
    previous: {
      from: startOfDay(previousFirst, timeZone),
      to: startOfDay(first, timeZone),
      days: { first: previousFirst.toString(), last: previousLast.toString() },
    },
  };
}

/**
 * Resolves a query's period in the site's time zone at `now`. Unknown names, dates that are not
 * dates, an inverted or over-long custom range are 422 (VALIDATION_FAILED).
 */
export function resolvePeriod(query: PeriodQuery, timeZone: string, now: Date): Period {
  if (query.period === "realtime") return { from: new Date(now.getTime() - REALTIME_MS), to: now, timeZone, days: null, previous: null };
  const today = plainDate(localDay(now, timeZone), "date");
  const date = query.date === undefined ? today : plainDate(query.date, "date");
  switch (query.period) {
    case "day":
      return daysPeriod(date, date, timeZone, date.subtract({ days: 1 }));
    case "7d":
    case "30d": {
      const length = query.period === "7d" ? 7 : 30;
      const first = date.subtract({ days: length - 1 });
      return daysPeriod(first, date, timeZone, first.subtract({ days: length }));
    }
    case "month": {
      const first = date.with({ day: 1 });
      const last = first.add({ months: 1 }).subtract({ days: 1 });
      return daysPeriod(first, last, timeZone, first.subtract({ months: 1 }));
    }
    case "12mo": {
      const first = date.with({ day: 1 }).subtract({ months: 11 });
      const last = date.with({ day: 1 }).add({ months: 1 }).subtract({ days: 1 });
      return daysPeriod(first, last, timeZone, first.subtract({ months: 12 }));
    }
    case "custom": {
      if (query.from === undefined || query.to === undefined) throw invalid(query.from === undefined ? "from" : "to", "a custom period needs from and to");
      const first = plainDate(query.from, "from");
      const last = plainDate(query.to, "to");
      const length = first.until(last, { largestUnit: "days" }).days + 1;
      if (length < 1) throw invalid("to", "to is before from");
      if (length > MAX_PERIOD_DAYS) throw invalid("to", `at most ${MAX_PERIOD_DAYS} days`);
      return daysPeriod(first, last, timeZone, first.subtract({ days: length }));
    }
  }
}
