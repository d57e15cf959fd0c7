import { telegramLinks } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import { Api, GrammyError } from "grammy";
import type { NotificationConfig } from "../config";
import { type DeliveryChannel, usersIn } from "./types";

type Link = typeof telegramLinks.$inferSelect;

/**
 * Telegram, with grammY's `Api`, to the chat the bot linked to the user (HTML parse mode; the
 * catalog escapes the data). 429: retried after the `retry_after` Telegram gives; 403 (the user
 * blocked the bot) or a chat that no longer exists: the link is removed; 5xx and network errors:
 * retried; other 4xx (a message Telegram refuses): failed.
 */
export function telegramChannel(options: { config: NotificationConfig }): DeliveryChannel<Link> {
  const telegram = options.config.telegram;
  const api = telegram ? new Api(telegram.botToken, { apiRoot: telegram.apiRoot }) : undefined;
  return {
    name: "telegram",
    configured: api !== undefined,
    addressesOf: (tx, { userId }) => tx.select().from(telegramLinks).where(eq(telegramLinks.userId, userId)),
    reachable: (tx, targets) => usersIn(tx, telegramLinks, targets),
    send: async ({ address, rendered }) => {
      if (!api) return { outcome: "failed", error: new Error("Telegram is not configured") };
      try {
        const sent = await api.sendMessage(address.chatId, rendered.telegram, { parse_mode: "HTML", link_preview_options: { is_disabled: true } });
        return { outcome: "sent", messageId: String(sent.message_id) };
      } catch (error) {
        if (!(error instanceof GrammyError)) return { outcome: "retry", error };
        if (error.error_code === 429) return { outcome: "retry", error, retryAfterMs: (error.parameters.retry_after ?? 1) * 1000 };
        if (error.error_code === 403 || (error.error_code === 400 && /chat not found/i.test(error.description))) return { outcome: "gone", error };
        if (error.error_code >= 500) return { outcome: "retry", error };
        return { outcome: "failed", error };
      }
    },
    forget: async (tx, address) => {
      await tx.delete(telegramLinks).where(eq(telegramLinks.userId, address.userId));
    },
  };
}
