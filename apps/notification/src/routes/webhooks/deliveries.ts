import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { webhookDeliveries } from "@lodge/db/schema";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, PageQuery } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { listWebhookDeliveries } from "../../services/list-webhook-deliveries";
import { bearer } from "../schemas";
import { deliveryView, WebhookDelivery, WebhookId } from "./schemas";

export const deliveriesRoute = createRoute({
  method: "get",
  path: "/notifications/webhooks/{id}/deliveries",
  tags: ["webhooks"],
  summary: "A webhook endpoint's delivery log, newest first (admins)",
  security: bearer,
  request: {
    params: WebhookId,
    query: PageQuery.extend({
      status: z.enum(webhookDeliveries.status.enumValues).optional(),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ deliveries: z.array(WebhookDelivery), nextCursor: z.uuid().nullable() }), "A page of deliveries"),
    ...errorResponses(401, 403, 404),
  },
});

export const deliveries =
  (deps: NotificationDeps): RouteHandler<typeof deliveriesRoute, AppEnv> =>
  async (c) => {
    const page = await listWebhookDeliveries({ ctx: ctxOf(c, deps), input: { ...c.req.valid("param"), ...c.req.valid("query") } });
    return c.json({ deliveries: page.rows.map(deliveryView), nextCursor: page.nextCursor }, 200);
  };
