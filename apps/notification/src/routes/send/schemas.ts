import { z } from "@hono/zod-openapi";
import { scheduledSends } from "@lodge/db/schema";
import { channels, typeKeys } from "../../catalog/index";

export const ScheduledSend = z
  .object({
    id: z.uuid(),
    caller: z.string().openapi({ description: "Who scheduled it: `client:<id>` or `user:<id>`" }),
    type: z.string(),
    recipientCount: z.number().int(),
    channels: z.array(z.enum(channels)).nullable(),
    sendAt: z.string(),
    status: z.enum(scheduledSends.status.enumValues),
    sentAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("ScheduledSend");

export const typeKey = z.enum(typeKeys as [string, ...string[]]);
