import { queryRows } from "@lodge/db";
import { sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { bucketStart, bucketsOf, daysPeriod } from "../helpers/local-days";
import { localDay } from "../helpers/periods";
import { withinQueryBudget } from "../helpers/query-budget";

type Input = { cohort: "week" | "month"; from?: string | undefined; to?: string | undefined; timeZone: string };

/**
 * Cohorts of the users who registered (their `user.registered` event) in each week or month of the
 * period, and for each cohort, how many of them had any product event in each period from theirs
 * to the current one (the first is theirs: all of them, by their registration).
 */
export async function computeRetention({ ctx, input }: { ctx: Ctx; input: Input }) {
  const { cohort: unit, timeZone } = input;
  const now = ctx.deps.clock();
  const period = daysPeriod(input, timeZone, now);
  const today = Temporal.PlainDate.from(localDay(now, timeZone));
  const rows = await withinQueryBudget(ctx, (db) =>
    queryRows<{ cohort: string; period: string | null; users: number }>(
      db,
      sql`with cohorts as (
      select user_id, to_char(date_trunc(${unit}, min(ts) at time zone ${timeZone}), 'YYYY-MM-DD') as cohort
      from analytics.events
      where site_id is null and user_id is not null and name = 'user.registered' and ts >= ${period.from.toISOString()} and ts < ${period.to.toISOString()}
      group by user_id
    ), active as (
      select distinct events.user_id, to_char(date_trunc(${unit}, events.ts at time zone ${timeZone}), 'YYYY-MM-DD') as period
      from analytics.events as events join cohorts on cohorts.user_id = events.user_id
      where events.site_id is null and events.ts >= ${period.from.toISOString()} and events.ts <= ${now.toISOString()}
    )
    select cohort, null as period, count(*)::int as users from cohorts group by cohort
    union all
    select cohorts.cohort, active.period, count(*)::int from cohorts join active on active.user_id = cohorts.user_id group by 1, 2`,
    ),
  );
  const counts = new Map(rows.map((row) => [`${row.cohort} ${row.period ?? ""}`, row.users]));
  const cohorts = bucketsOf(period.days, unit).map((start) => {
    const users = counts.get(`${start} `) ?? 0;
    const last = Temporal.PlainDate.compare(today, Temporal.PlainDate.from(start)) >= 0 ? today : Temporal.PlainDate.from(start);
    const periods = bucketsOf({ first: start, last: bucketStart(last, unit).toString() }, unit).map((periodStart) => {
      const active = counts.get(`${start} ${periodStart}`) ?? 0;
      return { start: periodStart, active, rate: users === 0 ? 0 : Math.round((active / users) * 10_000) / 10_000 };
    });
    return { start, users, periods };
  });
  return { cohort: unit, from: period.days.first, to: period.days.last, timeZone, cohorts };
}
