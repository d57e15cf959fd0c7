import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { countUnread } from "../../services/count-unread";
import { bearer } from "../schemas";

export const unreadCountRoute = createRoute({
  method: "get",
  path: "/notifications/unread-count",
  tags: ["inbox"],
  summary: "How many notifications in the caller's inbox are unread",
  security: bearer,
  responses: { 200: jsonResponse(z.object({ count: z.number().int() }), "The count"), ...errorResponses(401, 403) },
});

export const unreadCount =
  (deps: NotificationDeps): RouteHandler<typeof unreadCountRoute, AppEnv> =>
  async (c) =>
    c.json({ count: await countUnread({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId } }) }, 200);
