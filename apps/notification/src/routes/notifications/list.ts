import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, PageQuery, userOf } from "@lodge/kit";
import { categories } from "../../catalog/index";
import type { NotificationDeps } from "../../deps";
import { notificationView } from "../../helpers/views";
import { listNotifications } from "../../services/list-notifications";
import { bearer, Notification, queryFlag } from "../schemas";

export const listRoute = createRoute({
  method: "get",
  path: "/notifications",
  tags: ["inbox"],
  summary: "The caller's inbox, newest first",
  security: bearer,
  request: {
    query: PageQuery.extend({
      unread: queryFlag.optional().openapi({ description: "`true`: only unread; `false`: only read" }),
      category: z.enum(categories).optional(),
      archived: queryFlag.default(false).openapi({ description: "`true`: the archive instead of the inbox" }),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ notifications: z.array(Notification), nextCursor: z.uuid().nullable() }), "A page of notifications"),
    ...errorResponses(401, 403),
  },
});

export const list =
  (deps: NotificationDeps): RouteHandler<typeof listRoute, AppEnv> =>
  async (c) => {
    const page = await listNotifications({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, ...c.req.valid("query") } });
    return c.json({ notifications: page.rows.map(notificationView), nextCursor: page.nextCursor }, 200);
  };
