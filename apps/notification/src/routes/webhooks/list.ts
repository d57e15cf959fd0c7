import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, PageQuery } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { listWebhooks } from "../../services/list-webhooks";
import { bearer } from "../schemas";
import { Webhook, webhookView } from "./schemas";

export const listWebhooksRoute = createRoute({
  method: "get",
  path: "/notifications/webhooks",
  tags: ["webhooks"],
  summary: "The registered webhook endpoints, newest first (admins)",
  security: bearer,
  request: {
    query: PageQuery,
  },
  responses: {
    200: jsonResponse(z.object({ webhooks: z.array(Webhook), nextCursor: z.uuid().nullable() }), "A page of endpoints"),
    ...errorResponses(401, 403),
  },
});

export const list =
  (deps: NotificationDeps): RouteHandler<typeof listWebhooksRoute, AppEnv> =>
  async (c) => {
    const page = await listWebhooks({ ctx: ctxOf(c, deps), input: c.req.valid("query") });
    const now = deps.clock();
    return c.json({ webhooks: page.rows.map((row) => webhookView(row, now)), nextCursor: page.nextCursor }, 200);
  };
