import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { ApiError, type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { callerOf } from "../../helpers/admission";
import { summarizeUsage } from "../../services/summarize-usage";
import { bearer, UsageQuery, UsageReport, usagePeriod } from "../schemas";

export const usageRoute = createRoute({
  method: "get",
  path: "/ai/usage",
  tags: ["usage"],
  summary: "The caller's calls, tokens and cost over a period, by day, model or API key (any caller: a user token, an API key, a client for a user)",
  security: bearer,
  request: { query: UsageQuery },
  responses: { 200: jsonResponse(UsageReport, "The report"), ...errorResponses(401, 403) },
});

export const usage =
  (deps: AiDeps): RouteHandler<typeof usageRoute, AppEnv> =>
  async (c) => {
    const caller = await callerOf(c, deps);
    const query = c.req.valid("query");
    const period = periodOrRefuse(query, deps.clock());
    const report = await summarizeUsage({ ctx: ctxOf(c, deps), input: { userId: caller.userId, groupBy: query.groupBy, ...period } });
    return c.json({ from: period.from.toISOString(), to: period.to.toISOString(), groupBy: query.groupBy, ...report }, 200);
  };

/** The query's period, or 422 saying what is wrong with it. */
export function periodOrRefuse(query: { from?: string; to?: string }, now: Date) {
  const period = usagePeriod(query, now);
  if (typeof period === "string") throw new ApiError({ code: "VALIDATION_FAILED", message: period });
  return period;
}
