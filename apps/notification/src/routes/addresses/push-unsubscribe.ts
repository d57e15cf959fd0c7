import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { removePushSubscription } from "../../services/remove-push-subscription";
import { bearer } from "../schemas";

export const unsubscribeRoute = createRoute({
  method: "delete",
  path: "/notifications/push-subscriptions",
  tags: ["push"],
  summary: "Remove one of the caller's push subscriptions by its endpoint",
  security: bearer,
  request: { body: jsonBody(z.object({ endpoint: z.url().max(2048) }).strict()) },
  responses: { 204: { description: "Removed" }, ...errorResponses(401, 403, 404, 429) },
});

export const unsubscribe =
  (deps: NotificationDeps): RouteHandler<typeof unsubscribeRoute, AppEnv> =>
  async (c) => {
    await removePushSubscription({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, endpoint: c.req.valid("json").endpoint } });
    return c.body(null, 204);
  };
