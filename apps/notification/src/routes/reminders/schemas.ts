import { z } from "@hono/zod-openapi";
import { channels } from "../../catalog/index";

export const Reminder = z
  .object({
    id: z.uuid(),
    text: z.string(),
    repeat: z.string().nullable().openapi({ description: "The RRULE it repeats on (`FREQ=DAILY`, ...); null: once" }),
    startsAt: z.string().openapi({ description: "The first occurrence's local time, in `timeZone`" }),
    timeZone: z.string(),
    channels: z.array(z.enum(channels)).nullable(),
    nextAt: z.string(),
    createdAt: z.string(),
  })
  .openapi("Reminder");
