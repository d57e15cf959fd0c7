import { usage } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, asc, count, eq, gte, lt, type SQL, sql, sum } from "drizzle-orm";
import type { Ctx } from "../deps";

export type UsageGrouping = "day" | "model" | "key";
type Input = { userId?: string; from?: string; to?: string; groupBy: UsageGrouping };

const DAY_MS = 24 * 3600_000;

/** What a group is keyed by: the UTC day, the model alias, or the API key (null: calls made without one). */
const groupKeys: Record<UsageGrouping, SQL<string | null>> = {
  day: sql<string>`to_char(${usage.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`,
  model: sql<string>`${usage.model}`,
  key: sql<string | null>`${usage.keyId}::text`,
};

/**
 * Calls, tokens and cost from `from` (inclusive; 30 days before `to` unless given) to `to`
 * (exclusive; now unless given), at most 366 days, one user's or (admins) everyone's, grouped, with
 * the totals. Calls show here once the usage writer has moved them to Postgres (moments after they end).
 */
export async function summarizeUsage({ ctx, input }: { ctx: Ctx; input: Input }) {
  const to = input.to ? new Date(input.to) : ctx.deps.clock();
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (from >= to) throw new ApiError({ code: "VALIDATION_FAILED", message: "from must be before to" });
  if (to.getTime() - from.getTime() > 366 * DAY_MS) throw new ApiError({ code: "VALIDATION_FAILED", message: "The period is at most 366 days" });
  const group = groupKeys[input.groupBy];
  const rows = await ctx.deps.db
    .select({
      group,
      requests: count(),
      cachedRequests: sql<number>`count(*) filter (where ${usage.cached})`.mapWith(Number),
      inputTokens: sum(usage.inputTokens).mapWith(Number),
      outputTokens: sum(usage.outputTokens).mapWith(Number),
      cachedTokens: sum(usage.cachedTokens).mapWith(Number),
      costUsd: sum(usage.costUsd).mapWith(Number),
    })
    .from(usage)
    .where(and(input.userId ? eq(usage.userId, input.userId) : undefined, gte(usage.createdAt, from), lt(usage.createdAt, to)))
    .groupBy(group)
    .orderBy(asc(group));
  const groups = rows.map((row) => ({
    key: row.group,
    requests: row.requests,
    cachedRequests: row.cachedRequests,
    inputTokens: row.inputTokens ?? 0,
    outputTokens: row.outputTokens ?? 0,
    cachedTokens: row.cachedTokens ?? 0,
    costUsd: row.costUsd ?? 0,
  }));
  const total = { requests: 0, cachedRequests: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 };
  for (const row of groups) {
    total.requests += row.requests;
    total.cachedRequests += row.cachedRequests;
    total.inputTokens += row.inputTokens;
    total.outputTokens += row.outputTokens;
    total.cachedTokens += row.cachedTokens;
    total.costUsd += row.costUsd;
  }
  total.costUsd = Number(total.costUsd.toFixed(9));
  return { from: from.toISOString(), to: to.toISOString(), groupBy: input.groupBy, groups, total };
}
