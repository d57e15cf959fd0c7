import type { NextFunction } from "grammy";
import { isChatAdmitted } from "../services/is-chat-admitted";
import { addressedToBot } from "./addressed";
import type { BotContext } from "./context";

/** How long a refused chat is not answered again (one polite answer, then silence). */
const REFUSAL_QUIET_SECONDS = 86_400;

/** `/start <something>`: the only message a stranger may send an invite-only bot. */
const startWithPayload = /^\/start(@\w+)?\s+\S/;

/**
 * BOT_ACCESS=invite: a chat that is neither linked nor admitted with a code gets one polite answer
 * and nothing else, except `/start <code>` in a private chat (an invite code or a deep link), which
 * the start feature checks (refusing it with `refuseStranger`). Updates without a message (inline
 * queries, callback queries, chat member changes) are not served to strangers either.
 */
export async function accessGate(ctx: BotContext, next: NextFunction) {
  if (ctx.lodge.deps.env.BOT_ACCESS === "open" || ctx.link) return next();
  if (ctx.chat?.type === "private" && startWithPayload.test(ctx.message?.text ?? "")) return next();
  if (ctx.chat && (await isChatAdmitted({ ctx: ctx.lodge, input: { chatId: ctx.chat.id } }))) return next();
  if (ctx.chat && ctx.message && addressedToBot(ctx)) await refuseStranger(ctx, "invite-only");
}

/**
 * The one answer a stranger gets from an invite-only bot (per chat, then silence for a day), with
 * the translation `key`: whatever they send next (another message, a wrong code) is not answered.
 */
export async function refuseStranger(ctx: BotContext, key: string) {
  if (!ctx.chat) return;
  const { redis, redisPrefix } = ctx.lodge.deps;
  const first = await redis.set(`${redisPrefix}bot:refused:${ctx.chat.id}`, "1", "EX", REFUSAL_QUIET_SECONDS, "NX");
  if (first) await ctx.reply(ctx.t(key));
}
