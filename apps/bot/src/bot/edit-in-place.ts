import { GrammyError, InlineKeyboard } from "grammy";
import type { BotContext } from "./context";

/**
 * Edits the message whose button was pressed, text and keyboard (none: the keyboard goes). The
 * same content again is no error (Telegram refuses it as "message is not modified").
 */
export async function editInPlace(ctx: BotContext, text: string, keyboard: InlineKeyboard = new InlineKeyboard()) {
  try {
    await ctx.editMessageText(text, { reply_markup: keyboard });
  } catch (error) {
    if (error instanceof GrammyError && /message is not modified/i.test(error.description)) return;
    throw error;
  }
}
