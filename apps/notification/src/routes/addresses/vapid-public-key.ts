import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv, errorResponses, jsonResponse } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { bearer } from "../schemas";

export const vapidKeyRoute = createRoute({
  method: "get",
  path: "/notifications/push/vapid-public-key",
  tags: ["push"],
  summary: "The VAPID public key a browser subscribes with (`applicationServerKey`); 404 while web push is not configured",
  security: bearer,
  responses: {
    200: jsonResponse(z.object({ publicKey: z.string().openapi({ description: "base64url, uncompressed P-256 point" }) }), "The key"),
    ...errorResponses(401, 403, 404),
  },
});

export const vapidKey =
  (deps: NotificationDeps): RouteHandler<typeof vapidKeyRoute, AppEnv> =>
  async (c) => {
    const vapid = deps.config.webPush;
    if (!vapid) throw new ApiError({ code: "NOT_FOUND", message: "Web push is not configured on this server" });
    return c.json({ publicKey: vapid.publicKey }, 200);
  };
