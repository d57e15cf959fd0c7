/** Where grammY's session of a chat lives in Redis (bot/session-storage.ts writes it; erasure and export read it). */
export function sessionKey(prefix: string, chatId: number | string) {
  return `${prefix}bot:session:${chatId}`;
}
