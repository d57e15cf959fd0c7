import type { Ctx } from "../deps";
import { rollupsFit } from "../helpers/aggregates";
import { breakdownRows, type Dimension } from "../helpers/breakdowns";
import { type Filter, filterSql } from "../helpers/filters";
import type { Period } from "../helpers/periods";
import { withinQueryBudget } from "../helpers/query-budget";
import type { Site } from "../helpers/site-access";

/**
 * One page of a breakdown of a period's events by a dimension (or a property's values), sorted by
 * visitors; `nextCursor` leads to the next page. Unfiltered pages of whole days read rollup_pages.
 */
export async function getBreakdown({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { site: Site; period: Period; filters: Filter[]; dimension: Dimension; offset: number; limit: number };
}) {
  const { site, period, filters, offset, limit } = input;
  const span = { siteId: site.id, ...period };
  // Pages are per local day in rollup_pages: any zone fits, as long as the period is whole days.
  const rolledUp = filters.length === 0 && span.days !== null && (input.dimension === "pages" ? true : rollupsFit(span, site.timeZone));
  const rows = await withinQueryBudget(ctx, (db) => breakdownRows(db, span, input.dimension, filterSql(filters), { offset, limit: limit + 1 }, rolledUp));
  return {
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    results: rows.slice(0, limit),
    nextCursor: rows.length > limit ? String(offset + limit) : null,
  };
}
