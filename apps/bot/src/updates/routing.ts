import { Context } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";

/**
 * The update types the bot's features handle: what `webhook:set` and long polling ask Telegram
 * for (`allowed_updates`). Another type that still arrives (sent before a change of this list) is
 * answered and dropped, never queued.
 */
export const handledUpdateTypes = ["message", "callback_query", "my_chat_member"] as const;

export type UpdateType = Exclude<keyof Update, "update_id">;

/** An update's type: its one field beside `update_id` (`unknown` for none, as a newer Bot API might send). */
export function updateTypeOf(update: Update): UpdateType | "unknown" {
  for (const key of Object.keys(update)) if (key !== "update_id") return key as UpdateType;
  return "unknown";
}

/** Whether the bot's features handle this type (else it is answered and dropped). */
export function isHandledType(type: string): boolean {
  return (handledUpdateTypes as readonly string[]).includes(type);
}

/**
 * What orders an update among the others: its chat's id, else its sender's (inline queries; a
 * private chat's id is its user's, so both land together), else its own (a poll's results) – read
 * with grammY's own getters, which know where each update type keeps them. Updates with the same
 * key run one at a time, in order.
 */
export function orderingKeyOf(update: Update): string {
  // The getters read only the update: no API and no bot info are needed for them.
  const context = new Context(update, undefined as never, undefined as unknown as UserFromGetMe);
  const chatId = context.chat?.id;
  const id = chatId ?? context.from?.id;
  return id === undefined ? `update-${update.update_id}` : String(id);
}

/** Which of `shards` ordered queues an ordering key belongs to (FNV-1a: stable across processes and versions). */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
