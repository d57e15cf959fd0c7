import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { callerOf } from "../../helpers/admission";
import { getLimits } from "../../services/get-limits";
import { bearer } from "../schemas";

const Rates = z.object({ rpm: z.number(), tpm: z.number(), concurrency: z.number() });
const Budget = z.object({
  limitUsd: z.number(),
  spentUsd: z.number().openapi({ description: "Spent, plus what calls running have reserved" }),
  remainingUsd: z.number(),
  resetsAt: z.string(),
});

export const limitsRoute = createRoute({
  method: "get",
  path: "/ai/limits",
  tags: ["usage"],
  summary: "The caller's limits as they apply now, and what is left of the budgets (UTC day and month)",
  security: bearer,
  responses: {
    200: jsonResponse(
      z
        .object({
          user: Rates,
          key: Rates.nullable().openapi({ description: "The API key's limits, for a call with one" }),
          budgets: z.object({ daily: Budget, monthly: Budget }),
        })
        .openapi("AiLimits"),
      "Limits and budgets",
    ),
    ...errorResponses(401, 403),
  },
});

export const limits =
  (deps: AiDeps): RouteHandler<typeof limitsRoute, AppEnv> =>
  async (c) => {
    const caller = await callerOf(c, deps);
    return c.json(await getLimits({ ctx: ctxOf(c, deps), input: caller }), 200);
  };
