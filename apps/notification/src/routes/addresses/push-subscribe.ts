import { createPublicKey } from "node:crypto";
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { registerPushSubscription } from "../../services/register-push-subscription";
import { bearer } from "../schemas";

const base64url = /^[A-Za-z0-9_-]+={0,2}$/;
const bytesOf = (value: string) => Buffer.from(value, "base64url");

/** An uncompressed P-256 point (65 bytes, 0x04 ...) that is on the curve: what the payload is encrypted to. */
function isP256Point(value: string): boolean {
  const point = bytesOf(value);
  if (point.length !== 65 || point[0] !== 4) return false;
  try {
    createPublicKey({
      key: { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33).toString("base64url") },
      format: "jwk",
    });
    return true;
  } catch {
    return false;
  }
}

/** The browser's `PushSubscription.toJSON()`. */
export const PushSubscription = z
  .object({
    endpoint: z.url({ protocol: /^https$/, message: "an https URL" }).max(2048),
    expirationTime: z.number().nullable().optional(),
    keys: z
      .object({
        p256dh: z.string().max(100).regex(base64url).refine(isP256Point, "a base64url P-256 public key (65 bytes, uncompressed)"),
        auth: z
          .string()
          .max(40)
          .regex(base64url)
          .refine((value) => bytesOf(value).length === 16, "a base64url 16-byte secret"),
      })
      .strict(),
  })
  .openapi("PushSubscription", { description: "The browser's PushSubscription JSON" });

export const subscribeRoute = createRoute({
  method: "post",
  path: "/notifications/push-subscriptions",
  tags: ["push"],
  summary: "Register the caller's browser for web push (its PushSubscription JSON); the same endpoint again updates it",
  security: bearer,
  request: { body: jsonBody(PushSubscription) },
  responses: {
    201: jsonResponse(z.object({ endpoint: z.string(), createdAt: z.string() }), "Registered"),
    ...errorResponses(401, 403, 429),
  },
});

export const subscribe =
  (deps: NotificationDeps): RouteHandler<typeof subscribeRoute, AppEnv> =>
  async (c) => {
    const { endpoint, keys } = c.req.valid("json");
    const row = await registerPushSubscription({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, endpoint, ...keys } });
    return c.json({ endpoint: row.endpoint, createdAt: row.createdAt.toISOString() }, 201);
  };
