import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { deliveries } from "@lodge/db/schema";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, PageQuery } from "@lodge/kit";
import { channels } from "../../catalog/index";
import type { NotificationDeps } from "../../deps";
import { deliveryView } from "../../helpers/views";
import { listDeliveries } from "../../services/list-deliveries";
import { retryDelivery } from "../../services/retry-delivery";
import { bearer, Delivery } from "../schemas";

export const AdminDelivery = Delivery.extend({ id: z.uuid(), notificationId: z.uuid(), userId: z.uuid(), type: z.string(), createdAt: z.string() }).openapi(
  "AdminDelivery",
);

type Found = Awaited<ReturnType<typeof listDeliveries>>["rows"][number];
const adminView = (found: Found) => ({
  ...deliveryView(found.delivery),
  id: found.delivery.id,
  notificationId: found.delivery.notificationId,
  userId: found.userId,
  type: found.type,
  createdAt: found.delivery.createdAt.toISOString(),
});

export const listDeliveriesRoute = createRoute({
  method: "get",
  path: "/notifications/admin/deliveries",
  tags: ["admin"],
  summary: "Deliveries in a status (admins), newest first: `status=failed` lists those to look at and retry",
  security: bearer,
  request: {
    query: PageQuery.extend({
      status: z.enum(deliveries.status.enumValues).default("failed"),
      channel: z.enum(channels).optional(),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ deliveries: z.array(AdminDelivery), nextCursor: z.uuid().nullable() }), "A page of deliveries"),
    ...errorResponses(401, 403),
  },
});

export const listDeliveriesHandler =
  (deps: NotificationDeps): RouteHandler<typeof listDeliveriesRoute, AppEnv> =>
  async (c) => {
    const page = await listDeliveries({ ctx: ctxOf(c, deps), input: c.req.valid("query") });
    return c.json({ deliveries: page.rows.map(adminView), nextCursor: page.nextCursor }, 200);
  };

export const retryDeliveryRoute = createRoute({
  method: "post",
  path: "/notifications/admin/deliveries/{id}/retry",
  tags: ["admin"],
  summary: "Send a failed delivery again (admins): back to pending and queued; 409 unless it is failed",
  security: bearer,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 202: jsonResponse(AdminDelivery, "Queued again"), ...errorResponses(401, 403, 404, 409) },
});

export const retryDeliveryHandler =
  (deps: NotificationDeps): RouteHandler<typeof retryDeliveryRoute, AppEnv> =>
  async (c) =>
    c.json(adminView(await retryDelivery({ ctx: ctxOf(c, deps), input: { id: c.req.valid("param").id } })), 202);
