import { z } from "@hono/zod-openapi";
import { deliveries } from "@lodge/db/schema";
import { categories, channels, typeKeys } from "../catalog/index";

/** A caller's key making a retried creation answer the first one instead of doing it again. */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces");

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
    status: z.enum(deliveries.status.enumValues),
    reason: z.string().nullable().openapi({
      description:
        "Why it was skipped, held or failed (`no_address`, `not_configured`, `opted_out`, `quiet_hours`, `digest`, `send_failed`, `rejected`, `address_gone`)",
    }),
    attempts: z.number().int(),
    sentAt: z.string().nullable(),
    dueAt: z.string().nullable().openapi({ description: "When a held delivery goes out (the end of quiet hours, the next digest); kept once it is released" }),
  })
  .openapi("Delivery");

/** A query flag: `true` or `false`. */
export const queryFlag = z.enum(["true", "false"]).transform((value) => value === "true");

const settingsChannel = z.enum(["email", "push", "telegram"]);
const Cell = z.object({ enabled: z.boolean(), source: z.enum(["critical", "settings", "category", "default"]) });
const ChannelSetting = z.object({ enabled: z.boolean(), frequency: z.enum(["instant", "daily", "weekly"]) });

export const Preferences = z
  .object({
    categories: z.record(z.enum(categories), z.record(settingsChannel, Cell)),
    channels: z.record(settingsChannel, ChannelSetting),
    quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
    timeZone: z.string(),
    settingsVersion: z.number().int().openapi({ description: "The user service's preferences version these come from (0: none seen, its defaults)" }),
  })
  .openapi("NotificationPreferences");

export const CategoryChoices = z
  .object({
    categories: z
      .partialRecord(
        z.enum(categories),
        z.partialRecord(settingsChannel, z.boolean().nullable()).refine((byChannel) => Object.keys(byChannel).length > 0, "name at least one channel"),
      )
      .refine((byCategory) => Object.keys(byCategory).length > 0, "name at least one category"),
  })
  .strict()
  .openapi("CategoryChoices", { example: { categories: { product: { email: false }, reminders: { push: true, email: null } } } });
