import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { removeDevice } from "../../services/remove-device";
import { bearer } from "../schemas";
import { FcmToken } from "./device-register";

export const removeDeviceRoute = createRoute({
  method: "delete",
  path: "/notifications/devices",
  tags: ["push"],
  summary: "Remove one of the caller's FCM devices by its token",
  security: bearer,
  request: { body: jsonBody(z.object({ fcmToken: FcmToken }).strict()) },
  responses: { 204: { description: "Removed" }, ...errorResponses(401, 403, 404, 429) },
});

export const removeDeviceHandler =
  (deps: NotificationDeps): RouteHandler<typeof removeDeviceRoute, AppEnv> =>
  async (c) => {
    await removeDevice({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, token: c.req.valid("json").fcmToken } });
    return c.body(null, 204);
  };
