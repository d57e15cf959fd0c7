import { Composer } from "grammy";
import { addressedToBot } from "../../addressed";
import type { BotContext } from "../../context";

/**
 * Anything no feature answered: in a private chat, an unknown command or a message gets the help;
 * in a group, only a command addressed to this bot (`/cmd@thisbot`) does, so the bot stays quiet
 * in conversations between people. A callback query nobody handled is answered with nothing.
 */
export function fallback() {
  const composer = new Composer<BotContext>();
  composer.on("message", async (ctx) => {
    if (!addressedToBot(ctx)) return;
    const text = ctx.message.text ?? "";
    await ctx.reply(`${text.startsWith("/") ? `${ctx.t("unknown-command")}\n\n` : ""}${ctx.t("help")}`);
  });
  // A button no feature knows (an old message's, or forged data): answered, so the client stops waiting.
  composer.on("callback_query", (ctx) => ctx.answerCallbackQuery());
  return composer;
}
