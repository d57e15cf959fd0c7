import { Composer } from "grammy";
import type { BotContext } from "../../context";

/** `/help`: what the bot can do, in the chat's language (with `/invite` for admins). */
export function help() {
  const composer = new Composer<BotContext>();
  composer.command("help", (ctx) => ctx.reply(ctx.link?.role === "admin" ? `${ctx.t("help")}\n${ctx.t("help-admin")}` : ctx.t("help")));
  return composer;
}
