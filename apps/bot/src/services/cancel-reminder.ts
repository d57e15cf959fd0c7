import type { Ctx } from "../deps";
import { callAsUser, unexpectedReply } from "../helpers/call-as-user";

/**
 * Deletes one of the user's reminders at the notification service: false when it is gone already
 * or is not theirs (the service answers 404 for another user's, so a forged id deletes nothing).
 */
export async function cancelReminder({ ctx, input }: { ctx: Ctx; input: { userId: string; id: string } }): Promise<boolean> {
  const reply = await callAsUser(ctx, input.userId, "notification", `/notifications/reminders/${encodeURIComponent(input.id)}`, { method: "DELETE" });
  if (reply.status === 204) return true;
  if (reply.status === 404) return false;
  throw unexpectedReply(reply, "DELETE /notifications/reminders/{id}");
}
