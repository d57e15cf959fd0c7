/** Where grammY's session of a chat lives in Redis (bot/session-storage.ts writes it; erasure deletes it). */
export function sessionKey(prefix: string, chatId: number | string) {
  return `${prefix}bot:session:${chatId}`;
}
