import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { retryWebhookDelivery } from "../../services/retry-webhook-delivery";
import { bearer } from "../schemas";
import { DeliveryParams, deliveryView, WebhookDelivery } from "./schemas";

export const retryDeliveryRoute = createRoute({
  method: "post",
  path: "/notifications/webhooks/{id}/deliveries/{deliveryId}/retry",
  tags: ["webhooks"],
  summary: "Send a delivery again now, with the same webhook-id (admins)",
  security: bearer,
  request: { params: DeliveryParams },
  responses: { 202: jsonResponse(WebhookDelivery, "Queued"), ...errorResponses(401, 403, 404, 409) },
});

export const retryDelivery =
  (deps: NotificationDeps): RouteHandler<typeof retryDeliveryRoute, AppEnv> =>
  async (c) =>
    c.json(deliveryView(await retryWebhookDelivery({ ctx: ctxOf(c, deps), input: c.req.valid("param") })), 202);
