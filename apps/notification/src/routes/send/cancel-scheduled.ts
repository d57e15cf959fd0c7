import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { cancelScheduledSend } from "../../services/cancel-scheduled-send";
import { bearer } from "../schemas";

export const cancelScheduledRoute = createRoute({
  method: "delete",
  path: "/notifications/scheduled/{id}",
  tags: ["send"],
  summary: "Cancel a send the caller scheduled (anyone else's is a 404)",
  security: bearer,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 204: { description: "Cancelled (or already was)" }, ...errorResponses(401, 403, 404, 409) },
});

export const cancelScheduled =
  (deps: NotificationDeps): RouteHandler<typeof cancelScheduledRoute, AppEnv> =>
  async (c) => {
    await cancelScheduledSend({ ctx: ctxOf(c, deps), input: c.req.valid("param") });
    return c.body(null, 204);
  };
