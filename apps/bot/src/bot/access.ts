import type { NextFunction } from "grammy";
import { isChatAdmitted } from "../services/admit-chat";
import type { BotContext } from "./context";

/** How long a refused chat is not answered again (one polite answer, then silence). */
const REFUSAL_QUIET_SECONDS = 86_400;

/** `/start <something>`: the only message a stranger may send an invite-only bot. */
const startWithPayload = /^\/start(@\w+)?\s+\S/;

/**
 * BOT_ACCESS=invite: a chat that is neither linked nor admitted with a code gets one polite answer
 * and nothing else, except `/start <code>` (an invite code or a deep link), which the start
 * feature checks. Updates without a chat (inline queries) are not served to strangers either.
 */
export async function accessGate(ctx: BotContext, next: NextFunction) {
  const { env, redis, redisPrefix } = ctx.lodge.deps;
  if (env.BOT_ACCESS === "open" || ctx.link) return next();
  if (ctx.chat && startWithPayload.test(ctx.message?.text ?? "")) return next();
  if (ctx.chat && (await isChatAdmitted({ ctx: ctx.lodge, input: { chatId: ctx.chat.id } }))) return next();
  if (!ctx.chat || !ctx.message) return;
  const first = await redis.set(`${redisPrefix}bot:refused:${ctx.chat.id}`, "1", "EX", REFUSAL_QUIET_SECONDS, "NX");
  if (first) await ctx.reply(ctx.t("invite-only"));
}
