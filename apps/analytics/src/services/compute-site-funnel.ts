import { sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { type FunnelStep, funnelCounts, windowSeconds } from "../helpers/funnel";
import { type PeriodQuery, resolvePeriod } from "../helpers/periods";
import { withinQueryBudget } from "../helpers/query-budget";
import type { Site } from "../helpers/site-access";

type Input = { site: Site; steps: FunnelStep[]; window: string; period: PeriodQuery };

/**
 * A funnel over a site's visitors in a period (the site's days): within one visit (`visit`), or
 * with the last step at most the window after the first. Visitors are counted per day: the daily
 * salt makes the same person a new visitor each day, so a funnel never spans two of their days.
 */
export async function computeSiteFunnel({ ctx, input }: { ctx: Ctx; input: Input }) {
  const period = resolvePeriod(input.period, input.site.timeZone, ctx.deps.clock());
  const inVisit = input.window === "visit";
  const figures = await withinQueryBudget(ctx, (db) =>
    funnelCounts(db, {
      scope: sql`site_id = ${input.site.id}`,
      from: period.from,
      to: period.to,
      actor: { person: "visitor_id", path: inVisit ? ["visitor_id", "visit_start"] : ["visitor_id"] },
      steps: input.steps,
      windowSeconds: inVisit ? null : windowSeconds(input.window),
    }),
  );
  return {
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    window: input.window,
    steps: input.steps.map((step, index) => ({ step, ...(figures[index] ?? { visitors: 0, conversionRate: 0, dropOff: 0 }) })),
  };
}
