import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { deleteWebhook } from "../../services/delete-webhook";
import { bearer } from "../schemas";
import { WebhookId } from "./schemas";

export const deleteWebhookRoute = createRoute({
  method: "delete",
  path: "/notifications/webhooks/{id}",
  tags: ["webhooks"],
  summary: "Delete a webhook endpoint and its delivery log (admins)",
  security: bearer,
  request: { params: WebhookId },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});

export const remove =
  (deps: NotificationDeps): RouteHandler<typeof deleteWebhookRoute, AppEnv> =>
  async (c) => {
    await deleteWebhook({ ctx: ctxOf(c, deps), input: c.req.valid("param") });
    return c.body(null, 204);
  };
