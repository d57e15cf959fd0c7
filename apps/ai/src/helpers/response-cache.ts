import { canonicalHash } from "@lodge/kit";
import type { AiDeps } from "../deps";
import type { Json } from "../providers/types";
import type { Caller, CallKind } from "./calls";

/**
 * The exact-match response cache: an answer is served again to the same user for the same
 * request, while AI_CACHE_TTL_SECONDS lasts. Only asked-for calls are cached: `temperature: 0`,
 * or the header `x-lodge-cache: on` (and never with `x-lodge-cache: off`).
 *
 * Streamed and non-streamed calls are cached apart (the key says which): a streamed hit replays
 * the very chunks the upstream sent (its usage chunk included, so the replay hides it unless the
 * caller asked for it, as a live stream does), a non-streamed hit is the very answer. Entries live
 * in Redis, shared by every instance, each at most AI_CACHE_MAX_ENTRY_BYTES. The cache never
 * fails a call: a Redis error is a miss, or an answer not stored.
 */

export type CachedAnswer = { type: "json"; body: Json } | { type: "stream"; chunks: Json[] };

/** Fields of a request that do not change its answer. */
const ignoredFields = new Set(["user", "stream", "stream_options"]);

/** The request's cache key (the user's id, then a hash of the request), or null when the call is not to be cached. */
export function cacheKeyOf(caller: Caller, kind: CallKind, body: Json, headers: { get(name: string): string | null | undefined }): string | null {
  const asked = headers.get("x-lodge-cache")?.trim().toLowerCase();
  if (asked === "off") return null;
  if (asked !== "on" && body.temperature !== 0) return null;
  const normalized = Object.fromEntries(Object.entries(body).filter(([field]) => !ignoredFields.has(field)));
  const hash = canonicalHash({ kind, stream: body.stream === true, request: normalized });
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

/** Keeps an answer for AI_CACHE_TTL_SECONDS; returns whether it was stored (not when too large, the cache off, or Redis failing). */
export async function storeCached(deps: AiDeps, key: string, value: CachedAnswer): Promise<boolean> {
  const ttl = deps.env.AI_CACHE_TTL_SECONDS;
  if (ttl === 0) return false;
  const serialized = JSON.stringify(value);
  if (Buffer.byteLength(serialized) > deps.env.AI_CACHE_MAX_ENTRY_BYTES) return false;
  try {
    await deps.redis.set(redisKey(deps, key), serialized, "EX", ttl);
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
