import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { DayParam, TimeZoneParam } from "../../helpers/local-days";
import { computeRetention } from "../../services/compute-retention";
import { bearer } from "../schemas";

export const productRetentionRoute = createRoute({
  method: "get",
  path: "/analytics/retention",
  tags: ["product events"],
  summary: "Retention (admins): weekly or monthly cohorts of users by registration, and how many were active in each period since",
  description:
    "A cohort is the users whose `user.registered` event falls in that week (ISO, from Monday) or month of `timeZone`, within `from`..`to` " +
    "(local days, both or neither: the last 30 days). For each period from the cohort's own to the current one, `active` counts its users " +
    "with any product event then (the cohort's own period counts them all: registering is one).",
  security: bearer,
  request: {
    query: z.object({
      cohort: z.enum(["week", "month"]).default("week"),
      from: DayParam.optional(),
      to: DayParam.optional(),
      timeZone: TimeZoneParam,
    }),
  },
  responses: {
    200: jsonResponse(
      z
        .object({
          cohort: z.enum(["week", "month"]),
          from: z.string(),
          to: z.string(),
          timeZone: z.string(),
          cohorts: z.array(
            z.object({
              start: z.string().openapi({ description: "The cohort's first day" }),
              users: z.number().int(),
              periods: z.array(z.object({ start: z.string(), active: z.number().int(), rate: z.number().openapi({ description: "active / users (0 to 1)" }) })),
            }),
          ),
        })
        .openapi("Retention"),
      "The cohorts",
    ),
    ...errorResponses(401, 403),
  },
});

export const productRetention =
  (deps: AnalyticsDeps): RouteHandler<typeof productRetentionRoute, AppEnv> =>
  async (c) =>
    c.json(await computeRetention({ ctx: ctxOf(c, deps), input: c.req.valid("query") }), 200);
