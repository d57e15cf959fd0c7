import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { summarizeUsage } from "../../services/summarize-usage";
import { bearer, UsageQuery, UsageReport } from "../schemas";

export const adminUsageRoute = createRoute({
  method: "get",
  path: "/ai/admin/usage",
  tags: ["admin"],
  summary: "Calls, tokens and cost over a period, one user's or everyone's, by day, model or API key (admins)",
  security: bearer,
  request: { query: UsageQuery.extend({ userId: z.uuid().optional() }) },
  responses: { 200: jsonResponse(UsageReport, "The report"), ...errorResponses(401, 403) },
});

export const adminUsage =
  (deps: AiDeps): RouteHandler<typeof adminUsageRoute, AppEnv> =>
  async (c) =>
    c.json(await summarizeUsage({ ctx: ctxOf(c, deps), input: c.req.valid("query") }), 200);
