import { Composer } from "grammy";
import type { BotContext } from "../../context";

/** `/help`: what the bot can do, in the chat's language. */
export function help() {
  const composer = new Composer<BotContext>();
  composer.command("help", (ctx) => ctx.reply(ctx.t("help")));
  return composer;
}
