import type { Ctx } from "../deps";
import { callAsUser, replyBody, unexpectedReply } from "../helpers/call-as-user";
import { type Reminder, ReminderReply } from "../helpers/peer-replies";

type CreateInput = {
  userId: string;
  text: string;
  /** An instant with its offset, or a local time in the user's zone (a repeat's first occurrence). */
  at: string;
  /** An RRULE (`FREQ=WEEKLY;BYDAY=MO`); none: once. */
  repeat?: string;
  /** The Telegram update asking: its id is the creation's idempotency key, so a retried update makes no second reminder. */
  updateId: number;
};

/** Why the notification service refused a reminder: a bad time or rule, the most a user may have, too many at once. */
export type ReminderRefusal = { refused: "invalid" | "limit" | "rate"; message: string };

/** A reminder delivered in Telegram, set at the notification service for the user; or why it was refused. */
export async function createReminder({ ctx, input }: { ctx: Ctx; input: CreateInput }): Promise<{ reminder: Reminder } | ReminderRefusal> {
  const body = {
    text: input.text,
    at: input.at,
    ...(input.repeat ? { repeat: input.repeat } : {}),
    channels: ["telegram"],
    idempotencyKey: `telegram-update:${input.updateId}`,
  };
  const reply = await callAsUser(ctx, input.userId, "notification", "/notifications/reminders", { method: "POST", body });
  if (reply.status === 201) return { reminder: replyBody(reply, ReminderReply, "POST /notifications/reminders") };
  const message = (reply.json as { error?: { message?: string } } | undefined)?.error?.message ?? "";
  if (reply.status === 400 || reply.status === 422) return { refused: "invalid", message };
  if (reply.status === 409) return { refused: "limit", message };
  if (reply.status === 429) return { refused: "rate", message };
  throw unexpectedReply(reply, "POST /notifications/reminders");
}
