import type { InlineKeyboardButton } from "grammy/types";
import type { TelegramChat, TestBot } from "./harness";

/** The bot's latest message to a chat, as it stands now (edits applied), with its id. */
export function lastMessage(bot: TestBot, chatId: number) {
  const message = bot.telegram?.to(chatId).at(-1);
  if (!message) throw new Error(`the bot sent nothing to chat ${chatId}`);
  return message;
}

/** A message's inline buttons, row after row, as `{ text, data }`. */
export function buttonsOf(message: { reply_markup?: unknown }): { text: string; data: string }[] {
  const rows = (message.reply_markup as { inline_keyboard?: InlineKeyboardButton[][] } | undefined)?.inline_keyboard ?? [];
  return rows.flat().map((button) => ({ text: button.text, data: "callback_data" in button ? (button.callback_data ?? "") : "" }));
}

/** A person pressing a button with `data` under the bot's message `messageId` (the data may be forged), handed to the bot (through its update pipeline). */
export async function press(bot: TestBot, chat: TelegramChat, data: string, messageId: number) {
  await chat.sendCallback(chat.makeCallbackQuery(data, { message: { message_id: messageId } }));
  await bot.settled();
}

/** A person sending a command or a message, handed to the bot (through its update pipeline). */
export async function say(bot: TestBot, chat: TelegramChat, text: string) {
  await (text.startsWith("/") ? chat.sendCommand(chat.makeCommand(text)) : chat.sendMessage(chat.makeMessage(text)));
  await bot.settled();
}

/** What the bot answered to the button presses so far (answerCallbackQuery's texts), oldest first. */
export function callbackAnswers(bot: TestBot): string[] {
  return (bot.telegram?.calls ?? []).filter((call) => call.method === "answerCallbackQuery").map((call) => String(call.body.text ?? ""));
}
