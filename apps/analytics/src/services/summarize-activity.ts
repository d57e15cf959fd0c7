import { queryRows } from "@lodge/db";
import { sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { bucketsOf, daysPeriod, type Interval } from "../helpers/local-days";
import { withinQueryBudget } from "../helpers/query-budget";

/** The most event names an activity report lists (the most frequent). */
const MAX_NAMES = 100;

type Input = { userId: string; from?: string | undefined; to?: string | undefined; interval: Interval; timeZone: string };

/**
 * A user's own product events over local days: per name, the count in each bucket (day, ISO week or
 * month in their time zone) and in all, most frequent first.
 */
export async function summarizeActivity({ ctx, input }: { ctx: Ctx; input: Input }) {
  const { timeZone, interval } = input;
  const period = daysPeriod(input, timeZone, ctx.deps.clock());
  const buckets = bucketsOf(period.days, interval);
  const rows = await withinQueryBudget(ctx, (db) =>
    queryRows<{ name: string; bucket: string; count: number }>(
      db,
      sql`select name, to_char(date_trunc(${interval}, ts at time zone ${timeZone}), 'YYYY-MM-DD') as bucket, count(*)::int as count
        from analytics.events
        where user_id = ${input.userId} and site_id is null and ts >= ${period.from.toISOString()} and ts < ${period.to.toISOString()}
        group by 1, 2`,
    ),
  );
  const index = new Map(buckets.map((bucket, position) => [bucket, position]));
  const byName = new Map<string, number[]>();
  for (const row of rows) {
    const counts = byName.get(row.name) ?? buckets.map(() => 0);
    const at = index.get(row.bucket) ?? 0;
    counts[at] = (counts[at] ?? 0) + row.count;
    byName.set(row.name, counts);
  }
  const events = [...byName]
    .map(([name, counts]) => ({ name, total: counts.reduce((sum, count) => sum + count, 0), counts }))
    .sort((a, b) => b.total - a.total || (a.name < b.name ? -1 : 1));
  return {
    from: period.days.first,
    to: period.days.last,
    timeZone,
    interval,
    buckets,
    total: events.reduce((sum, event) => sum + event.total, 0),
    events: events.slice(0, MAX_NAMES),
  };
}
