import type { Ctx } from "../deps";
import { NO_COUNTS, rawCounts, WHOLE } from "../helpers/aggregates";
import { breakdownRows } from "../helpers/breakdowns";
import { type Filter, filterSql } from "../helpers/filters";
import { resolvePeriod } from "../helpers/periods";
import { withinQueryBudget } from "../helpers/query-budget";
import type { Site } from "../helpers/site-access";

/** How many pages `getRealtime` lists. */
const TOP_PAGES = 10;

/** Who is on the site now: distinct visitors with an event in the last 5 minutes, and the pages they viewed most. */
export async function getRealtime({ ctx, input }: { ctx: Ctx; input: { site: Site; filters: Filter[] } }) {
  const period = resolvePeriod({ period: "realtime" }, input.site.timeZone, ctx.deps.clock());
  const span = { siteId: input.site.id, ...period };
  const filter = filterSql(input.filters);
  const { counts, pages } = await withinQueryBudget(ctx, async (db) => ({
    counts: (await rawCounts(db, span, WHOLE, filter)).get("all") ?? NO_COUNTS,
    pages: await breakdownRows(db, span, "pages", filter, { offset: 0, limit: TOP_PAGES }, false),
  }));
  return { from: period.from.toISOString(), to: period.to.toISOString(), visitors: counts.visitors, pages };
}
