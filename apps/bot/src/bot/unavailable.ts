import { ApiError } from "@lodge/kit";
import type { BotError } from "grammy";
import type { BotContext } from "./context";

/**
 * The error handler of a feature that calls other services (`composer.errorBoundary(whenUnavailable)`):
 * a service it cannot reach (down, timing out, or BOT_CLIENT_SECRET unset: UNAVAILABLE) gets a
 * friendly "try again later" in the chat, or on the button pressed; any other error goes on to
 * the bot's own error boundary.
 */
export async function whenUnavailable(error: BotError<BotContext>) {
  if (!(error.error instanceof ApiError && error.error.code === "UNAVAILABLE")) throw error.error;
  const ctx = error.ctx;
  ctx.lodge.logger.warn({ err: error.error }, "a service the bot needs is unavailable");
  await tell(ctx, ctx.t("service-unavailable"));
}

/** An answer to what the user did: on the button they pressed (a short notice), or in the chat. */
export async function tell(ctx: BotContext, text: string) {
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text });
  else await ctx.reply(text);
}
