import type { Ctx } from "../deps";
import { callAsUser, replyBody, unexpectedReply } from "../helpers/call-as-user";
import { PreferencesReply, type PreferencesState } from "../helpers/peer-replies";

/** The user's preferences and their version, from the user service. */
export async function getUserPreferences({ ctx, input }: { ctx: Ctx; input: { userId: string } }): Promise<PreferencesState> {
  const reply = await callAsUser(ctx, input.userId, "user", "/users/me/preferences");
  if (reply.status !== 200) throw unexpectedReply(reply, "GET /users/me/preferences");
  return replyBody(reply, PreferencesReply, "GET /users/me/preferences");
}
