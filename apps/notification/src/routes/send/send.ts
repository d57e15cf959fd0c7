import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import { channels } from "../../catalog/index";
import type { NotificationDeps } from "../../deps";
import { callerOf } from "../../helpers/triggers";
import { sendNotifications } from "../../services/send-notifications";
import { bearer, IdempotencyKey } from "../schemas";
import { typeKey } from "./schemas";

/** The most recipients of one send. */
export const MAX_RECIPIENTS = 1000;

const SendRequest = z
  .object({
    userId: z.uuid().optional(),
    userIds: z.array(z.uuid()).min(1).max(MAX_RECIPIENTS).optional(),
    type: typeKey,
    data: z.record(z.string(), z.unknown()).openapi({ description: "The type's data, validated against its schema" }),
    channels: z
      .array(z.enum(channels))
      .min(1)
      .max(channels.length * 2)
      .optional()
      .openapi({ description: "Only these of the type's channels" }),
    sendAt: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: "Send later (up to a year ahead); cancel with DELETE /notifications/scheduled/{id}" }),
    idempotencyKey: IdempotencyKey.optional().openapi({
      description: "The same key from the same caller within 24 h answers the first response and sends nothing again",
    }),
  })
  .strict()
  .refine((body) => (body.userId === undefined) !== (body.userIds === undefined), { message: "give userId or userIds, not both", path: ["userIds"] })
  .openapi("SendRequest");

export const sendRoute = createRoute({
  method: "post",
  path: "/notifications/send",
  tags: ["send"],
  summary: "Send a notification to users, now or later (service clients with notifications:send, and admins)",
  security: bearer,
  request: { body: jsonBody(SendRequest) },
  responses: {
    202: jsonResponse(
      z.object({
        ids: z.array(z.uuid()).openapi({ description: "The notifications made, in the order of the recipients (empty for a scheduled send)" }),
        scheduledId: z.uuid().optional().openapi({ description: "The scheduled send, when `sendAt` was given" }),
      }),
      "Accepted",
    ),
    ...errorResponses(401, 403, 409, 429),
  },
});

export const send =
  (deps: NotificationDeps): RouteHandler<typeof sendRoute, AppEnv> =>
  async (c) => {
    const ctx = ctxOf(c, deps);
    // Counted once, before anything is written: by the write, with the other sends of its batch
    // (see sendNotifications), or below for a request that failed before it.
    let admitted: Promise<void> | undefined;
    const admit = () => {
      admitted ??= deps.limiter.hit(`notification-send:${callerOf(ctx)}`, { max: deps.config.sendsPerMinute, windowSeconds: 60 });
      return admitted;
    };
    const { userId, userIds, sendAt, ...rest } = c.req.valid("json");
    const input = { ...rest, userIds: userIds ?? [userId as string], ...(sendAt ? { sendAt: new Date(sendAt) } : {}) };
    try {
      return c.json(await sendNotifications({ ctx, input, admit }), 202);
    } catch (error) {
      // A caller over its limit is told so (429) first, whatever else was wrong with the request.
      await admit();
      throw error;
    }
  };
