import { z } from "@hono/zod-openapi";
import { type Db, queryRows } from "@lodge/db";
import { type SQL, sql } from "drizzle-orm";
import { EventName, EventProps } from "./event-fields";
import { isPathPattern, pathPatternSource } from "./site-rules";

export const MAX_FUNNEL_STEPS = 8;

/** A step that is an event of this name (with these properties, when given). */
export const EventStep = z
  .object({ event: EventName, props: EventProps.optional().openapi({ description: "Only events with these property values" }) })
  .strict()
  .openapi("FunnelEventStep");

/** A step that is a pageview of a path matching the pattern. */
export const PageStep = z
  .object({
    page: z
      .string()
      .refine(isPathPattern, "must start with / (at most 300 characters)")
      .openapi({ description: "A path, or a pattern: `*` any characters but `/`, `**` any characters", example: "/pricing*" }),
  })
  .strict()
  .openapi("FunnelPageStep");

export type FunnelStep = z.infer<typeof EventStep> | z.infer<typeof PageStep>;

const windowUnits = { m: 60, h: 3600, d: 86_400 } as const;
/** The longest window (seconds): 90 days. */
const MAX_WINDOW_SECONDS = 90 * 86_400;

/** A duration (`30m`, `12h`, `7d`): how long after the first step the last may come. */
export const FunnelWindow = z
  .string()
  .regex(/^[1-9]\d{0,5}[mhd]$/, "a duration such as 30m, 12h or 7d")
  .refine((value) => windowSeconds(value) <= MAX_WINDOW_SECONDS, "at most 90 days")
  .openapi({ description: "How long after the first step the last may come: minutes, hours or days (`30m`, `12h`, `7d`; at most 90 days)", example: "1d" });

export function windowSeconds(window: string): number {
  return Number(window.slice(0, -1)) * windowUnits[window.slice(-1) as keyof typeof windowUnits];
}

/**
 * Whose events a funnel follows: a person (`person`: the visitor or the user counted) and the
 * stretch of their events a conversion must fit in (`path`: a visit, or all of the person's).
 */
export type FunnelActor = { person: "visitor_id" | "user_id"; path: readonly string[] };

export type FunnelQuery = {
  /** Which events (a site's, or product events), besides the period. */
  scope: SQL;
  from: Date;
  to: Date;
  actor: FunnelActor;
  steps: readonly FunnelStep[];
  /** The last step at most this long after the first; null: anywhere in the path (a visit). */
  windowSeconds: number | null;
};

export type FunnelFigures = { visitors: number; conversionRate: number; dropOff: number };

const stepCondition = (step: FunnelStep): SQL =>
  "page" in step
    ? sql`(name = 'pageview' and pathname ~ ${`^${pathPatternSource(step.page)}$`})`
    : step.props && Object.keys(step.props).length > 0
      ? sql`(name = ${step.event} and props @> ${JSON.stringify(step.props)}::jsonb)`
      : sql`(name = ${step.event})`;

/**
 * How many people reached each step, in order, in one query. Each path's matching events are
 * numbered in time order; for every event, window functions find the next event (strictly after
 * it) matching each step. From every first-step event, the chain of next matches is followed
 * (the earliest match of each step is the best one for a given start); a start reaches step k
 * when its chain has k events and (with a window) the k-th is within the window of the start. A
 * person counts at the deepest step any of their starts reaches.
 */
export async function funnelCounts(db: Db, query: FunnelQuery): Promise<FunnelFigures[]> {
  const { steps, actor } = query;
  const path = sql.raw(actor.path.join(", "));
  const person = sql.raw(actor.person);
  const flags = steps.map((step, index) => sql`${stepCondition(step)} as s${sql.raw(String(index + 1))}`);
  const nexts = steps.slice(1).map((_, index) => sql.raw(`min(n) filter (where s${index + 2}) over later as next${index + 2}`));
  const joins = steps.slice(1).map((_, index) => {
    const [step, previous] = [index + 2, index + 1];
    const same = actor.path.map((column) => `r${step}.${column} = r${previous}.${column}`).join(" and ");
    return sql.raw(`left join nexts r${step} on ${same} and r${step}.n = r${previous}.next${step}`);
  });
  const within = (step: number) =>
    query.windowSeconds === null
      ? sql.raw(`r${step}.n is not null`)
      : sql`r${sql.raw(String(step))}.ts <= r1.ts + ${query.windowSeconds}::integer * interval '1 second'`;
  const depth = sql.join(
    steps.slice(1).map((_, index) => sql`when not coalesce(${within(index + 2)}, false) then ${sql.raw(String(index + 1))}`),
    sql` `,
  );
  const counts = steps.map((_, index) => sql.raw(`count(*) filter (where depth >= ${index + 1})::int as c${index + 1}`));
  const [row] = await queryRows<Record<string, number>>(
    db,
    sql`with matched as (
      select ${path}, ${person} as person, ts, id, ${sql.join(flags, sql`, `)}
      from analytics.events
      where ${query.scope} and ts >= ${query.from.toISOString()} and ts < ${query.to.toISOString()}
        and (${sql.join(steps.map(stepCondition), sql` or `)})
    ), numbered as (
      select *, row_number() over (partition by ${path} order by ts, id) as n from matched
    ), nexts as (
      select *, ${sql.join(nexts, sql`, `)}
      from numbered
      window later as (partition by ${path} order by n desc rows between unbounded preceding and 1 preceding)
    ), reached as (
      select r1.person, max(case ${depth} else ${sql.raw(String(steps.length))} end) as depth
      from nexts r1 ${sql.join(joins, sql` `)}
      where r1.s1
      group by r1.person
    )
    select ${sql.join(counts, sql`, `)} from reached`,
  );
  const reached = steps.map((_, index) => row?.[`c${index + 1}`] ?? 0);
  const first = reached[0] ?? 0;
  return reached.map((visitors, index) => ({
    visitors,
    conversionRate: first === 0 ? 0 : Math.round((visitors / first) * 10_000) / 10_000,
    dropOff: index === 0 ? 0 : (reached[index - 1] ?? 0) - visitors,
  }));
}
