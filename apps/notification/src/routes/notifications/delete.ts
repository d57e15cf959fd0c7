import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { deleteNotification } from "../../services/delete-notification";
import { bearer, NotificationId } from "../schemas";

export const deleteRoute = createRoute({
  method: "delete",
  path: "/notifications/{id}",
  tags: ["inbox"],
  summary: "Delete one of the caller's notifications (an email not yet sent is then not sent)",
  security: bearer,
  request: { params: NotificationId },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});

export const remove =
  (deps: NotificationDeps): RouteHandler<typeof deleteRoute, AppEnv> =>
  async (c) => {
    await deleteNotification({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, id: c.req.valid("param").id } });
    return c.body(null, 204);
  };
