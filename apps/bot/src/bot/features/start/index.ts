import { Composer } from "grammy";
import type { BotDeps } from "../../../deps";
import { startPayload } from "../../../helpers/deep-link";
import { admitChat } from "../../../services/admit-chat";
import { isChatAdmitted } from "../../../services/is-chat-admitted";
import { linkChat } from "../../../services/link-chat";
import { refuseStranger } from "../../access";
import type { BotContext } from "../../context";

/**
 * `/start`: a greeting; `/start <token>` from a deep link (POST /bot/link) links this private chat
 * to the user who made it; in an invite-only bot, `/start <invite code>` admits the chat. A
 * stranger's wrong code counts as their one answer (access.ts), so guessing codes gets silence.
 */
export function start(deps: BotDeps) {
  const composer = new Composer<BotContext>();
  composer.command("start", async (ctx) => {
    const payload = ctx.match.trim();
    if (!payload || ctx.chat.type !== "private") {
      await ctx.reply(ctx.t(ctx.link ? "start-already-linked" : "start-welcome"));
      return;
    }
    const stranger = deps.env.BOT_ACCESS === "invite" && !ctx.link && !(await isChatAdmitted({ ctx: ctx.lodge, input: { chatId: ctx.chat.id } }));
    if (!startPayload.test(payload)) {
      await (stranger ? refuseStranger(ctx, "start-invite-invalid") : ctx.reply(ctx.t(ctx.link ? "start-already-linked" : "start-welcome")));
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
    if (stranger && ctx.from) {
      const input = { code: payload, chatId: ctx.chat.id, telegramUserId: ctx.from.id, username: ctx.from.username };
      if (await admitChat({ ctx: ctx.lodge, input })) await ctx.reply(ctx.t("start-admitted"));
      else await refuseStranger(ctx, "start-invite-invalid");
      return;
    }
    await ctx.reply(ctx.t("start-link-invalid"));
  });
  return composer;
}
