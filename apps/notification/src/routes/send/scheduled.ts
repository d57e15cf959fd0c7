import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { scheduledSends } from "@lodge/db/schema";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { Channel } from "../../catalog/index";
import type { NotificationDeps } from "../../deps";
import { cancelScheduledSend } from "../../services/cancel-scheduled-send";
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
    query: z.object({
      status: z.enum(["scheduled", "sent", "cancelled"]).optional(),
      cursor: z.uuid().optional().openapi({ description: "`nextCursor` of the previous page" }),
      limit: z.coerce.number().int().min(1).max(100).default(50),
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

export const cancelScheduledRoute = createRoute({
  method: "delete",
  path: "/notifications/scheduled/{id}",
  tags: ["send"],
  summary: "Cancel a send the caller scheduled (anyone else's is a 404)",
  security: bearer,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 204: { description: "Cancelled (or already was)" }, ...errorResponses(401, 403, 404, 409) },
});

export const cancelScheduled =
  (deps: NotificationDeps): RouteHandler<typeof cancelScheduledRoute, AppEnv> =>
  async (c) => {
    await cancelScheduledSend({ ctx: ctxOf(c, deps), input: c.req.valid("param") });
    return c.body(null, 204);
  };

export function scheduledView(row: typeof scheduledSends.$inferSelect) {
  return {
    id: row.id,
    caller: row.caller,
    type: row.type,
    recipientCount: row.userIds.length,
    channels: row.channels as Channel[] | null,
    sendAt: row.sendAt.toISOString(),
    status: row.status,
    sentAt: row.sentAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
