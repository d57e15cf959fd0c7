import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { deliveryView, notificationView } from "../../helpers/views";
import { getNotification } from "../../services/get-notification";
import { bearer, Delivery, Notification, NotificationId } from "../schemas";

export const getRoute = createRoute({
  method: "get",
  path: "/notifications/{id}",
  tags: ["inbox"],
  summary: "One of the caller's notifications, with its delivery on each channel",
  security: bearer,
  request: { params: NotificationId },
  responses: {
    200: jsonResponse(Notification.extend({ deliveries: z.array(Delivery) }), "The notification"),
    ...errorResponses(401, 403, 404),
  },
});

export const get =
  (deps: NotificationDeps): RouteHandler<typeof getRoute, AppEnv> =>
  async (c) => {
    const found = await getNotification({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, id: c.req.valid("param").id } });
    return c.json({ ...notificationView(found.row), deliveries: found.deliveries.map(deliveryView) }, 200);
  };
