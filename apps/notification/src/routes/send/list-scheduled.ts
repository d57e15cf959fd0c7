import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { scheduledSends } from "@lodge/db/schema";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, PageQuery } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { scheduledView } from "../../helpers/scheduled-view";
import { listScheduledSends } from "../../services/list-scheduled-sends";
import { bearer } from "../schemas";
import { ScheduledSend } from "./schemas";

export const listScheduledRoute = createRoute({
  method: "get",
  path: "/notifications/scheduled",
  tags: ["send"],
  summary: "Scheduled sends, newest first (admins)",
  security: bearer,
  request: {
    query: PageQuery.extend({
      status: z.enum(scheduledSends.status.enumValues).optional(),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ scheduled: z.array(ScheduledSend), nextCursor: z.uuid().nullable() }), "A page of scheduled sends"),
    ...errorResponses(401, 403),
  },
});

export const listScheduled =
  (deps: NotificationDeps): RouteHandler<typeof listScheduledRoute, AppEnv> =>
  async (c) => {
    const page = await listScheduledSends({ ctx: ctxOf(c, deps), input: c.req.valid("query") });
    return c.json({ scheduled: page.rows.map(scheduledView), nextCursor: page.nextCursor }, 200);
  };
