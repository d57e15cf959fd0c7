import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import { countsOf, figuresOf, NO_COUNTS } from "../helpers/aggregates";
import { bucketsOf, defaultInterval, type Interval } from "../helpers/buckets";
import type { Filter } from "../helpers/filters";
import type { Period, PeriodName } from "../helpers/periods";
import { withinQueryBudget } from "../helpers/query-budget";
import type { Site } from "../helpers/site-access";

/**
 * Every figure per bucket of a whole-days period, in the site's zone (DST-correct), empty buckets
 * as zeros. The interval defaults to hours for a day, months for 12 months, days otherwise.
 */
export async function getTimeseries({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { site: Site; period: Period; periodName: PeriodName; interval?: Interval; filters: Filter[] };
}) {
  const { site, period, filters } = input;
  const days = period.days;
  if (!days)
    throw new ApiError({
      code: "VALIDATION_FAILED",
      message: "A timeseries needs whole days: use GET .../realtime for the last minutes",
      details: [{ path: "period", message: "realtime has no timeseries" }],
    });
  const interval = input.interval ?? defaultInterval(input.periodName, days);
  const { buckets, bucketing } = bucketsOf({ ...period, days }, site.timeZone, interval);
  const { counts, rolledUp } = await withinQueryBudget(ctx, (db) => countsOf(db, { siteId: site.id, ...period }, site.timeZone, filters, bucketing));
  return {
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    interval,
    rolledUp,
    results: buckets.map((bucket) => ({ date: bucket.date, ...figuresOf(counts.get(bucket.key) ?? NO_COUNTS) })),
  };
}
