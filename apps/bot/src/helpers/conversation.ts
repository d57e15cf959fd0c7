import type { Redis } from "@lodge/kit";

/** One message of an `/ask` conversation. */
export type Turn = { role: "user" | "assistant"; content: string };

/** How many turns (questions and answers) a conversation keeps as context for the next question. */
export const KEPT_TURNS = 6;
/** A turn longer than this is kept cut (context, not a transcript). */
const KEPT_TURN_CHARS = 4000;

type Store = { redis: Redis; redisPrefix: string };

/**
 * Where a chat's `/ask` conversation lives: its own key beside the grammY session, because an
 * answer ends after its update was handled (it streams outside the update worker) and grammY
 * writes a session back whole at the end of every update that reads it, which would overwrite
 * turns written meanwhile.
 */
export function conversationKey(prefix: string, chatId: number) {
  return `${prefix}bot:conversation:${chatId}`;
}

/** The chat's last turns, if they were its linked user's (a chat linked to someone else starts afresh). */
export async function loadTurns(store: Store, input: { chatId: number; userId: string }): Promise<Turn[]> {
  const value = await store.redis.get(conversationKey(store.redisPrefix, input.chatId));
  if (!value) return [];
  const saved = JSON.parse(value) as { userId?: string; turns?: Turn[] };
  return saved.userId === input.userId && Array.isArray(saved.turns) ? saved.turns : [];
}

/** Adds turns, keeping the last KEPT_TURNS, for `ttlSeconds` after the last one. */
export async function appendTurns(store: Store, input: { chatId: number; userId: string; turns: Turn[]; ttlSeconds: number }) {
  const kept = [...(await loadTurns(store, input)), ...input.turns]
    .slice(-KEPT_TURNS)
    .map((turn) => ({ role: turn.role, content: turn.content.slice(0, KEPT_TURN_CHARS) }));
  await store.redis.set(conversationKey(store.redisPrefix, input.chatId), JSON.stringify({ userId: input.userId, turns: kept }), "EX", input.ttlSeconds);
}

export async function forgetConversation(store: Store, input: { chatId: number }) {
  await store.redis.del(conversationKey(store.redisPrefix, input.chatId));
}
