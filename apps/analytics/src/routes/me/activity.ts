import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { DayParam, INTERVALS, TimeZoneParam } from "../../helpers/local-days";
import { summarizeActivity } from "../../services/summarize-activity";

export const activityRoute = createRoute({
  method: "get",
  path: "/analytics/me/activity",
  tags: ["product events"],
  summary: "The signed-in user's own product events per name and per day, week or month in their time zone, with totals",
  description:
    "`from` and `to` are local days (both included, at most 800 days; both or neither: the last 30 days). " +
    "Buckets are named by their first day (ISO weeks begin on Monday); `counts[i]` is the count in `buckets[i]`. The 100 most frequent names are listed.",
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      from: DayParam.optional(),
      to: DayParam.optional(),
      interval: z.enum(INTERVALS).default("day"),
      timeZone: TimeZoneParam,
    }),
  },
  responses: {
    200: jsonResponse(
      z
        .object({
          from: z.string(),
          to: z.string(),
          timeZone: z.string(),
          interval: z.enum(INTERVALS),
          buckets: z.array(z.string()).openapi({ description: "Each bucket's first local day" }),
          total: z.number().int(),
          events: z.array(z.object({ name: z.string(), total: z.number().int(), counts: z.array(z.number().int()) })),
        })
        .openapi("Activity"),
      "The user's activity",
    ),
    ...errorResponses(401, 403),
  },
});

export const activity =
  (deps: AnalyticsDeps): RouteHandler<typeof activityRoute, AppEnv> =>
  async (c) => {
    const { userId } = userOf(c);
    return c.json(await summarizeActivity({ ctx: ctxOf(c, deps), input: { ...c.req.valid("query"), userId } }), 200);
  };
