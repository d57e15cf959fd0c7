import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { getWebhook } from "../../services/get-webhook";
import { bearer } from "../schemas";
import { Webhook, WebhookId, webhookView } from "./schemas";

export const getWebhookRoute = createRoute({
  method: "get",
  path: "/notifications/webhooks/{id}",
  tags: ["webhooks"],
  summary: "One webhook endpoint (admins)",
  security: bearer,
  request: { params: WebhookId },
  responses: { 200: jsonResponse(Webhook, "The endpoint"), ...errorResponses(401, 403, 404) },
});

export const get =
  (deps: NotificationDeps): RouteHandler<typeof getWebhookRoute, AppEnv> =>
  async (c) =>
    c.json(webhookView(await getWebhook({ ctx: ctxOf(c, deps), input: c.req.valid("param") }), deps.clock()), 200);
