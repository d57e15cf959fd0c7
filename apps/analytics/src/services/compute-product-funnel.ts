import { sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { type FunnelStep, funnelCounts, windowSeconds } from "../helpers/funnel";
import { daysPeriod } from "../helpers/local-days";
import { withinQueryBudget } from "../helpers/query-budget";

type Input = { steps: FunnelStep[]; window: string; from?: string | undefined; to?: string | undefined; timeZone: string };

/** A funnel over users' product events in a period of local days: ordered steps, the last at most the window after the first. */
export async function computeProductFunnel({ ctx, input }: { ctx: Ctx; input: Input }) {
  const period = daysPeriod(input, input.timeZone, ctx.deps.clock());
  const figures = await withinQueryBudget(ctx, (db) =>
    funnelCounts(db, {
      scope: sql`site_id is null and user_id is not null`,
      from: period.from,
      to: period.to,
      actor: { person: "user_id", path: ["user_id"] },
      steps: input.steps,
      windowSeconds: windowSeconds(input.window),
    }),
  );
  return {
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    window: input.window,
    steps: input.steps.map((step, index) => ({ step, ...(figures[index] ?? { visitors: 0, conversionRate: 0, dropOff: 0 }) })),
  };
}
