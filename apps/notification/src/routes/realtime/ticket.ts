import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { issueTicket } from "../../realtime/tickets";
import { bearer } from "../schemas";

export const ticketRoute = createRoute({
  method: "post",
  path: "/notifications/realtime/ticket",
  tags: ["realtime"],
  summary: "A single-use ticket for opening the realtime WebSocket, valid 30 s",
  description: "Browsers cannot send a bearer header on a WebSocket: connect to `/notifications/realtime?ticket=...` with this instead.",
  security: bearer,
  responses: {
    200: jsonResponse(z.object({ ticket: z.string(), expiresAt: z.string() }), "The ticket"),
    ...errorResponses(401, 403, 429),
  },
});

export const ticket =
  (deps: NotificationDeps): RouteHandler<typeof ticketRoute, AppEnv> =>
  async (c) => {
    const { userId, sessionId } = userOf(c);
    const ctx = ctxOf(c, deps);
    await deps.limiter.hit(`notification:realtime-ticket:${userId}`, deps.config.realtime.ticketLimit);
    const issued = await issueTicket({ ctx, input: { userId, sessionId } });
    return c.json({ ticket: issued.ticket, expiresAt: issued.expiresAt.toISOString() }, 200);
  };
