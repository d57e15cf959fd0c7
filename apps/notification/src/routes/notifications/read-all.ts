import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { readAll } from "../../services/read-all";
import { bearer } from "../schemas";

export const readAllRoute = createRoute({
  method: "post",
  path: "/notifications/read-all",
  tags: ["inbox"],
  summary: "Mark every unread notification of the caller read",
  security: bearer,
  responses: { 200: jsonResponse(z.object({ updated: z.number().int() }), "How many were marked read"), ...errorResponses(401, 403) },
});

export const markAllRead =
  (deps: NotificationDeps): RouteHandler<typeof readAllRoute, AppEnv> =>
  async (c) =>
    c.json({ updated: await readAll({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId } }) }, 200);
