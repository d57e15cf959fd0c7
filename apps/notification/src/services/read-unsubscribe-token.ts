import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import { recipientOf } from "../helpers/recipients";
import { verifyUnsubscribe } from "../helpers/unsubscribe";

/**
 * Reads an unsubscribe link's token, after counting the request against the client's IP: what it
 * turns off and the user's language, or 403 for a token not signed with this service's secret.
 */
export async function readUnsubscribeToken({ ctx, input }: { ctx: Ctx; input: { token: string } }) {
  const { limiter, config } = ctx.deps;
  // Before the signature is checked: guessing tokens costs requests.
  await limiter.hit(`notification:unsubscribe:ip:${limiter.client(ctx.ip)}`, config.unsubscribe.perIp);
  const unsubscription = verifyUnsubscribe(config.unsubscribe.secret, input.token);
  if (!unsubscription) throw new ApiError({ code: "FORBIDDEN", message: "This unsubscribe link is not valid" });
  const { locale } = await recipientOf(ctx, unsubscription.userId);
  return { ...unsubscription, locale };
}
