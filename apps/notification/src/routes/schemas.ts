import { z } from "@hono/zod-openapi";
import { categories, channels, typeKeys } from "../catalog/index";

export const bearer = [{ bearer: [] }];

export const NotificationId = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "01964d2c-8f2a-7c3e-9d1b-2a4f6e8c0b13" }) });

export const Notification = z
  .object({
    id: z.uuid(),
    type: z.enum(typeKeys as [string, ...string[]]),
    category: z.enum(categories),
    title: z.string(),
    body: z.string(),
    link: z.string().nullable().openapi({ description: "Where the frontend takes the user when it is opened" }),
    readAt: z.string().nullable(),
    archivedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Notification");

export const Delivery = z
  .object({
    channel: z.enum(channels),
    status: z.enum(["pending", "held", "sent", "failed", "skipped"]),
    reason: z
      .string()
      .nullable()
      .openapi({ description: "Why it was skipped or failed (`no_address`, `not_configured`, `send_failed`, `rejected`, `address_gone`)" }),
    attempts: z.number().int(),
    sentAt: z.string().nullable(),
  })
  .openapi("Delivery");

/** A query flag: `true` or `false`. */
export const queryFlag = z.enum(["true", "false"]).transform((value) => value === "true");
