import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { rotateWebhookSecret } from "../../services/rotate-webhook-secret";
import { bearer } from "../schemas";
import { WebhookId, WithSecret, webhookView } from "./schemas";

export const rotateSecretRoute = createRoute({
  method: "post",
  path: "/notifications/webhooks/{id}/rotate-secret",
  tags: ["webhooks"],
  summary: "Give a webhook endpoint a new secret (admins); the old one also signs until `previousSecretExpiresAt`",
  security: bearer,
  request: { params: WebhookId },
  responses: { 200: jsonResponse(WithSecret, "The new secret, shown this once"), ...errorResponses(401, 403, 404) },
});

export const rotateSecret =
  (deps: NotificationDeps): RouteHandler<typeof rotateSecretRoute, AppEnv> =>
  async (c) => {
    const endpoint = await rotateWebhookSecret({ ctx: ctxOf(c, deps), input: c.req.valid("param") });
    return c.json({ webhook: webhookView(endpoint, deps.clock()), secret: endpoint.secret }, 200);
  };
