import type { Ctx } from "../deps";
import { countsOf, type Figures, figuresOf, NO_COUNTS } from "../helpers/aggregates";
import type { Filter } from "../helpers/filters";
import type { Period } from "../helpers/periods";
import { withinQueryBudget } from "../helpers/query-budget";
import type { Site } from "../helpers/site-access";

/** One figure and its change against the previous period: percent (bounceRate: points); null where there is nothing to compare. */
export type Compared = { value: number; previous: number | null; change: number | null };

/**
 * A site's figures over a period, with the previous period of the same length for comparison.
 * Unfiltered whole-day periods read the rollups (`rolledUp`); filtered ones, realtime and sites in
 * zones whose days do not begin on a whole UTC hour read the events.
 */
export async function getStats({ ctx, input }: { ctx: Ctx; input: { site: Site; period: Period; filters: Filter[] } }) {
  const { site, period, filters } = input;
  const { current, before } = await withinQueryBudget(ctx, async (db) => ({
    current: await countsOf(db, { siteId: site.id, ...period }, site.timeZone, filters),
    before: period.previous ? await countsOf(db, { siteId: site.id, ...period.previous }, site.timeZone, filters) : null,
  }));
  const now = figuresOf(current.counts.get("all") ?? NO_COUNTS);
  const then = before ? figuresOf(before.counts.get("all") ?? NO_COUNTS) : null;
  const results = Object.fromEntries(
    (Object.keys(now) as (keyof Figures)[]).map((name) => {
      const value = now[name];
      const previous = then ? then[name] : null;
      return [name, { value, previous, change: changeOf(name, value, previous) }];
    }),
  ) as Record<keyof Figures, Compared>;
  return { from: period.from.toISOString(), to: period.to.toISOString(), rolledUp: current.rolledUp, results };
}

function changeOf(name: keyof Figures, value: number, previous: number | null): number | null {
  if (previous === null) return null;
  if (name === "bounceRate") return value - previous;
  if (previous === 0) return value === 0 ? 0 : null;
  return Math.round(((value - previous) / previous) * 100);
}
