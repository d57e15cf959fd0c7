import type { Ctx } from "../deps";
import { callAsUser, replyBody, unexpectedReply } from "../helpers/call-as-user";
import { type Reminder, RemindersReply } from "../helpers/peer-replies";

/** The user's reminders, soonest first, from the notification service. */
export async function listReminders({ ctx, input }: { ctx: Ctx; input: { userId: string } }): Promise<Reminder[]> {
  const reply = await callAsUser(ctx, input.userId, "notification", "/notifications/reminders");
  if (reply.status !== 200) throw unexpectedReply(reply, "GET /notifications/reminders");
  return replyBody(reply, RemindersReply, "GET /notifications/reminders").reminders;
}
