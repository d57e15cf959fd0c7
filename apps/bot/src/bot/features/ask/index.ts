import { Composer } from "grammy";
import type { BotDeps } from "../../../deps";
import { forgetConversation } from "../../../helpers/conversation";
import type { BotContext } from "../../context";
import { answerQuestion } from "./answer";

/** A chat's questions at once (one being answered, the others waiting): more get "one at a time". */
const QUESTIONS_AT_ONCE = 3;
/** Shown at once, edited into the answer. */
const PLACEHOLDER = "…";

/**
 * `/ask <question>` (and, with BOT_PLAIN_TEXT_ASK, any text in a private chat): the linked user's
 * question to the AI, answered outside the update worker (a chat task, so a slow answer holds no
 * other chat; the chat's questions are answered in order), streamed into a placeholder sent at
 * once. `/new` forgets the conversation (after the answers under way). Put it after the features
 * that wait for a text reply: in plain-text mode it takes every text that is not a command.
 */
export function ask(deps: BotDeps) {
  const composer = new Composer<BotContext>();

  async function startAnswer(ctx: BotContext, text: string) {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return;
    const question = text.trim();
    if (!ctx.link) return void (await ctx.reply(ctx.t("not-linked")));
    if (!question) return void (await ctx.reply(ctx.t("ask-usage")));
    if (!deps.services) return void (await ctx.reply(ctx.t("ask-not-configured")));
    if (deps.chatTasks.count(chatId) >= QUESTIONS_AT_ONCE) return void (await ctx.reply(ctx.t("ask-busy")));
    const replyTo = ctx.msg ? { reply_parameters: { message_id: ctx.msg.message_id, allow_sending_without_reply: true } } : {};
    const sent = await ctx.reply(PLACEHOLDER, replyTo);
    const placeholder = { id: sent.message_id, text: PLACEHOLDER, sentAt: deps.clock() };
    const userId = ctx.link.userId;
    deps.chatTasks.run(chatId, (signal) => answerQuestion({ ctx, userId, chatId, question, placeholder, signal }));
  }

  composer.command("ask", (ctx) => startAnswer(ctx, ctx.match));
  composer.command("new", async (ctx) => {
    if (!ctx.link) return void (await ctx.reply(ctx.t("not-linked")));
    const chatId = ctx.chat.id;
    deps.chatTasks.run(chatId, async () => {
      await forgetConversation(deps, { chatId });
      await ctx.reply(ctx.t("ask-new"));
    });
  });
  if (deps.env.BOT_PLAIN_TEXT_ASK) {
    composer.chatType("private").on("message:text", (ctx, next) => (ctx.message.text.startsWith("/") ? next() : startAnswer(ctx, ctx.message.text)));
  }
  return composer;
}
