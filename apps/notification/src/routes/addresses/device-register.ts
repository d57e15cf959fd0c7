import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { registerDevice } from "../../services/register-device";
import { bearer } from "../schemas";

/** An FCM registration token: printable, no spaces (they are about 160 characters today). */
export const FcmToken = z
  .string()
  .min(20)
  .max(4096)
  .regex(/^[\w:.\-/+=]+$/, "an FCM registration token");

export const registerDeviceRoute = createRoute({
  method: "post",
  path: "/notifications/devices",
  tags: ["push"],
  summary: "Register the caller's phone for FCM push (its registration token); the same token again updates it",
  security: bearer,
  request: { body: jsonBody(z.object({ fcmToken: FcmToken, platform: z.enum(["android", "ios", "web"]) }).strict()) },
  responses: {
    201: jsonResponse(z.object({ fcmToken: z.string(), platform: z.enum(["android", "ios", "web"]), createdAt: z.string() }), "Registered"),
    ...errorResponses(401, 403, 429),
  },
});

export const registerDeviceHandler =
  (deps: NotificationDeps): RouteHandler<typeof registerDeviceRoute, AppEnv> =>
  async (c) => {
    const { fcmToken, platform } = c.req.valid("json");
    const row = await registerDevice({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, token: fcmToken, platform } });
    return c.json({ fcmToken: row.token, platform: row.platform, createdAt: row.createdAt.toISOString() }, 201);
  };
