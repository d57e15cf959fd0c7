import { z } from "@hono/zod-openapi";
import { channels } from "../../catalog/index";

/** The scope a service client (the Telegram bot) needs to manage a user's reminders for them (`X-Lodge-User`). */
export const REMINDERS_SCOPE = "notifications:reminders";

/** Who may call: a user for their own reminders, or a client holding the scope for the user it names. */
export const forUser = `A service client holding \`${REMINDERS_SCOPE}\` acts for the user it names in \`X-Lodge-User\`, exactly as if they had called; without the scope or the header, or with a user's token naming another user, 403.`;

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
