import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { callerOf } from "../../helpers/admission";
import { summarizeUsage } from "../../services/summarize-usage";
import { bearer, UsageQuery, UsageReport } from "../schemas";

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
    const { userId } = await callerOf(c, deps);
    return c.json(await summarizeUsage({ ctx: ctxOf(c, deps), input: { ...c.req.valid("query"), userId } }), 200);
  };
