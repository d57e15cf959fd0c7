import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { notificationView } from "../../helpers/views";
import { updateNotification } from "../../services/update-notification";
import { bearer, Notification, NotificationId } from "../schemas";

const Changes = z
  .object({ read: z.boolean().optional(), archived: z.boolean().optional() })
  .strict()
  .refine((changes) => changes.read !== undefined || changes.archived !== undefined, { message: "give read, archived or both" });

export const updateRoute = createRoute({
  method: "patch",
  path: "/notifications/{id}",
  tags: ["inbox"],
  summary: "Mark one of the caller's notifications read/unread or archived/unarchived",
  security: bearer,
  request: { params: NotificationId, body: jsonBody(Changes) },
  responses: { 200: jsonResponse(Notification, "Updated"), ...errorResponses(401, 403, 404) },
});

export const update =
  (deps: NotificationDeps): RouteHandler<typeof updateRoute, AppEnv> =>
  async (c) => {
    const input = { userId: userOf(c).userId, id: c.req.valid("param").id, ...c.req.valid("json") };
    return c.json(notificationView(await updateNotification({ ctx: ctxOf(c, deps), input })), 200);
  };
