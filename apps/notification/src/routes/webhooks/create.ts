import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { createWebhook } from "../../services/create-webhook";
import { bearer } from "../schemas";
import { Description, EventTypes, WebhookUrl, WithSecret, webhookView } from "./schemas";

const NewWebhook = z.object({ url: WebhookUrl, eventTypes: EventTypes, description: Description.default("") }).strict();

export const createWebhookRoute = createRoute({
  method: "post",
  path: "/notifications/webhooks",
  tags: ["webhooks"],
  summary: "Register a webhook endpoint (admins); its signing secret is returned this once",
  security: bearer,
  request: { body: jsonBody(NewWebhook) },
  responses: { 201: jsonResponse(WithSecret, "Registered"), ...errorResponses(401, 403, 409) },
});

export const create =
  (deps: NotificationDeps): RouteHandler<typeof createWebhookRoute, AppEnv> =>
  async (c) => {
    const endpoint = await createWebhook({ ctx: ctxOf(c, deps), input: c.req.valid("json") });
    return c.json({ webhook: webhookView(endpoint, deps.clock()), secret: endpoint.secret }, 201);
  };
