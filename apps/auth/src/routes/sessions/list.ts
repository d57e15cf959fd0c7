import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { listSessions } from "../../services/list-sessions";
import { bearer, Session } from "../schemas";

export const listSessionsRoute = createRoute({
  method: "get",
  path: "/auth/sessions",
  tags: ["sessions"],
  summary: "The user's active sessions",
  security: bearer,
  responses: { 200: jsonResponse(z.object({ sessions: z.array(Session) }), "Active sessions, oldest first"), ...errorResponses(401, 403) },
});

export const list =
  (deps: AuthDeps): RouteHandler<typeof listSessionsRoute, AppEnv> =>
  async (c) =>
    c.json({ sessions: await listSessions({ ctx: ctxOf(c, deps), input: userOf(c) }) }, 200);
