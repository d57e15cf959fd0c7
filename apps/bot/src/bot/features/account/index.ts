import { Composer } from "grammy";
import { unlinkChat } from "../../../services/unlink-chat";
import type { BotContext } from "../../context";

/**
 * The chat's link to its account: `/whoami`, `/unlink`, and a private chat whose user blocked the
 * bot (a `my_chat_member` update saying it was kicked) is unlinked.
 */
export function account() {
  const composer = new Composer<BotContext>();
  composer.command("whoami", (ctx) =>
    ctx.reply(ctx.link ? ctx.t("whoami-linked", { userId: ctx.link.userId, role: ctx.link.role }) : ctx.t("whoami-unlinked")),
  );
  composer.command("unlink", async (ctx) => {
    if (!ctx.link) return ctx.reply(ctx.t("not-linked"));
    await unlinkChat({ ctx: ctx.lodge, input: { chatId: ctx.chat.id, reason: "unlinked" } });
    await ctx.reply(ctx.t("unlinked"));
  });
  composer.on("my_chat_member", async (ctx) => {
    const status = ctx.myChatMember.new_chat_member.status;
    if (ctx.chat.type === "private" && status === "kicked") await unlinkChat({ ctx: ctx.lodge, input: { chatId: ctx.chat.id, reason: "blocked" } });
  });
  return composer;
}
