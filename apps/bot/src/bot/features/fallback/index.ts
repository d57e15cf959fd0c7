import { Composer } from "grammy";
import type { BotContext } from "../../context";

/**
 * Anything no feature answered: in a private chat, an unknown command or a message gets the help;
 * in a group, only a command addressed to this bot (`/cmd@thisbot`) does, so the bot stays quiet
 * in conversations between people.
 */
export function fallback() {
  const composer = new Composer<BotContext>();
  composer.on("message", async (ctx) => {
    const text = ctx.message.text ?? "";
    const addressed = new RegExp(`^/\\w+@${ctx.me.username}\\b`, "i").test(text);
    if (ctx.chat.type !== "private" && !addressed) return;
    await ctx.reply(`${text.startsWith("/") ? `${ctx.t("unknown-command")}\n\n` : ""}${ctx.t("help")}`);
  });
  return composer;
}
