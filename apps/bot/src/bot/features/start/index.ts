import { Composer } from "grammy";
import type { BotDeps } from "../../../deps";
import { startPayload } from "../../../helpers/secret-token";
import { admitChat } from "../../../services/admit-chat";
import { linkChat } from "../../../services/link-chat";
import type { BotContext } from "../../context";

/**
 * `/start`: a greeting; `/start <token>` from a deep link (POST /bot/link) links this private chat
 * to the user who made it; in an invite-only bot, `/start <invite code>` admits the chat.
 */
export function start(deps: BotDeps) {
  const composer = new Composer<BotContext>();
  composer.command("start", async (ctx) => {
    const payload = ctx.match.trim();
    if (!payload || !startPayload.test(payload) || ctx.chat.type !== "private") {
      await ctx.reply(ctx.t(ctx.link ? "start-already-linked" : "start-welcome"));
      return;
    }
    const link = await linkChat({
      ctx: ctx.lodge,
      input: { token: payload, chatId: ctx.chat.id, username: ctx.from?.username, languageCode: ctx.from?.language_code },
    });
    if (link) {
      ctx.link = { userId: link.userId, role: link.role, language: link.language };
      await ctx.i18n.renegotiateLocale();
      await ctx.reply(ctx.t("start-linked"));
      return;
    }
    if (deps.env.BOT_ACCESS === "invite" && !ctx.link && ctx.from) {
      const admitted = await admitChat({
        ctx: ctx.lodge,
        input: { code: payload, chatId: ctx.chat.id, telegramUserId: ctx.from.id, username: ctx.from.username },
      });
      await ctx.reply(ctx.t(admitted ? "start-admitted" : "start-invite-invalid"));
      return;
    }
    await ctx.reply(ctx.t("start-link-invalid"));
  });
  return composer;
}
