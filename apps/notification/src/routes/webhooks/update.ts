import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { updateWebhook } from "../../services/update-webhook";
import { bearer } from "../schemas";
import { Description, EventTypes, Webhook, WebhookId, WebhookUrl, webhookView } from "./schemas";

const Changes = z
  .object({ url: WebhookUrl.optional(), eventTypes: EventTypes.optional(), description: Description.optional(), enabled: z.boolean().optional() })
  .strict()
  .refine((changes) => Object.values(changes).some((value) => value !== undefined), { message: "give at least one of url, eventTypes, description, enabled" });

export const updateWebhookRoute = createRoute({
  method: "patch",
  path: "/notifications/webhooks/{id}",
  tags: ["webhooks"],
  summary: "Change a webhook endpoint (admins); enabling it again clears its failure streak",
  security: bearer,
  request: { params: WebhookId, body: jsonBody(Changes) },
  responses: { 200: jsonResponse(Webhook, "Updated"), ...errorResponses(401, 403, 404) },
});

export const update =
  (deps: NotificationDeps): RouteHandler<typeof updateWebhookRoute, AppEnv> =>
  async (c) => {
    const endpoint = await updateWebhook({ ctx: ctxOf(c, deps), input: { ...c.req.valid("param"), ...c.req.valid("json") } });
    return c.json(webhookView(endpoint, deps.clock()), 200);
  };
