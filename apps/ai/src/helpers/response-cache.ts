import { canonicalHash } from "@lodge/kit";
import type { AiDeps } from "../deps";
import type { Json, StreamChunk } from "../providers/types";
import type { Caller, CallKind } from "./calls";
import type { CacheWrite } from "./limiter";

/**
 * The exact-match response cache: an answer is served again to the same user for the same
 * request, while AI_CACHE_TTL_SECONDS lasts. Only asked-for calls are cached: `temperature: 0`,
 * or the header `x-lodge-cache: on` (and never with `x-lodge-cache: off`).
 *
 * Streamed and non-streamed calls are cached apart (the key says which): a streamed hit replays
 * the very chunks the upstream sent (its usage chunk included, so the replay hides it unless the
 * caller asked for it, as a live stream does), a non-streamed hit is the very answer. Entries live
 * in Redis, shared by every instance, each at most AI_CACHE_MAX_ENTRY_BYTES, written by the call's
 * settle (in the same Redis step). The cache never fails a call: a Redis error is a miss, or an answer not stored.
 */

export type CachedAnswer = { type: "json"; body: Json } | { type: "stream"; chunks: Json[] };

/**
 * An answer to keep, as parsed and, when the provider passed it on as it came, as the upstream's
 * text: an entry is made of that text rather than of the parsed answer serialized again.
 */
export type AnswerToKeep = { type: "json"; body: Json; text?: string } | { type: "stream"; chunks: StreamChunk[] };

/** The request's cache key (the user's id, then a hash of the request), or null when the call is not to be cached. */
export function cacheKeyOf(caller: Caller, kind: CallKind, body: Json, headers: { get(name: string): string | null | undefined }): string | null {
  const asked = headers.get("x-lodge-cache")?.trim().toLowerCase();
  if (asked === "off") return null;
  if (asked !== "on" && body.temperature !== 0) return null;
  // Fields that do not change the answer are left out (canonical JSON skips what is undefined).
  const request = { ...body, user: undefined, stream: undefined, stream_options: undefined };
  const hash = canonicalHash({ kind, stream: body.stream === true, request });
  // The user's id leads, so one user's entries can be found (and dropped) together.
  return `${caller.userId}:${hash}`;
}

/**
 * Where the admission looks the call up (in the same Redis step as its limits): the entry's key and
 * how an entry that answers this kind of call begins (as `storeCached` writes it); null when the cache is off.
 */
export function cacheLookupOf(deps: AiDeps, key: string, type: CachedAnswer["type"]) {
  if (deps.env.AI_CACHE_TTL_SECONDS === 0) return undefined;
  return { key: redisKey(deps, key), startsWith: JSON.stringify({ type }).slice(0, -1) };
}

/** An entry the admission read. */
export const parseCached = (entry: string) => JSON.parse(entry) as CachedAnswer;

/** A cached answer, or null (a miss, the cache off, or Redis not answering). */
export async function readCached(deps: AiDeps, key: string): Promise<CachedAnswer | null> {
  if (deps.env.AI_CACHE_TTL_SECONDS === 0) return null;
  try {
    const stored = await deps.redis.get(redisKey(deps, key));
    return stored === null ? null : parseCached(stored);
  } catch (error) {
    deps.logger.warn({ err: error }, "response cache unreadable: answering from the provider");
    return null;
  }
}

/** The entry that keeps an answer for AI_CACHE_TTL_SECONDS, or null when it is not to be kept (the cache off, or the entry too large). */
export function cacheWriteOf(deps: AiDeps, key: string, answer: AnswerToKeep): CacheWrite | null {
  const ttlSeconds = deps.env.AI_CACHE_TTL_SECONDS;
  if (ttlSeconds === 0) return null;
  // What JSON.stringify of the CachedAnswer gives, but with the upstream's text as it came where there is one.
  const value =
    answer.type === "json"
      ? `{"type":"json","body":${answer.text ?? JSON.stringify(answer.body)}}`
      : `{"type":"stream","chunks":[${answer.chunks.map(({ chunk, text }) => text ?? JSON.stringify(chunk)).join(",")}]}`;
  if (Buffer.byteLength(value) > deps.env.AI_CACHE_MAX_ENTRY_BYTES) return null;
  return { key: redisKey(deps, key), value, ttlSeconds };
}

/** Keeps an answer on its own (a call's settle writes its entry itself); returns whether it was stored (not when too large, the cache off, or Redis failing). */
export async function storeCached(deps: AiDeps, key: string, answer: AnswerToKeep): Promise<boolean> {
  const write = cacheWriteOf(deps, key, answer);
  if (!write) return false;
  try {
    await deps.redis.set(write.key, write.value, "EX", write.ttlSeconds);
    return true;
  } catch (error) {
    deps.logger.warn({ err: error }, "response cache unwritable: answer not cached");
    return false;
  }
}

/** Drops every cached answer of a user (their data is being erased). */
export async function dropCachedOf(deps: AiDeps, userId: string): Promise<void> {
  const pattern = `${redisKey(deps, userId)}:*`;
  let cursor = "0";
  do {
    const [next, keys] = await deps.redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
    if (keys.length > 0) await deps.redis.unlink(...keys);
    cursor = next;
  } while (cursor !== "0");
}

function redisKey(deps: AiDeps, key: string) {
  return `${deps.redisPrefix}ai:cache:${key}`;
}
