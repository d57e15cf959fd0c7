import { isTimeZone } from "@lodge/kit";
import type { Ctx } from "../deps";
import { callAsUser, replyBody, unexpectedReply } from "../helpers/call-as-user";
import { ProfileReply } from "../helpers/peer-replies";

/** The user's time zone (UTC when the profile names none the runtime knows) and locale, from the user service. */
export async function getUserProfile({ ctx, input }: { ctx: Ctx; input: { userId: string } }): Promise<{ timeZone: string; locale: string }> {
  const reply = await callAsUser(ctx, input.userId, "user", "/users/me");
  if (reply.status !== 200) throw unexpectedReply(reply, "GET /users/me");
  const profile = replyBody(reply, ProfileReply, "GET /users/me");
  return { timeZone: isTimeZone(profile.timezone) ? profile.timezone : "UTC", locale: profile.locale };
}
