import type { Redis } from "ioredis";
import { batched } from "./batch";
import { clientNetwork } from "./client-ip";
import { ApiError } from "./errors";
import { luaScript } from "./lua";

// Fixed windows, atomic across every instance: for each key, increment, set the window's expiry on first hit.
const countScript = luaScript(`
local counts = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, ARGV[i]) end
  counts[#counts + 1] = count
  counts[#counts + 1] = redis.call('PTTL', key)
end
return counts
`);

// Incremental wait: refuse while a wait runs; otherwise count the attempt and, past the free ones, start
// the next wait (doubling, capped) before the attempt is evaluated, so concurrent attempts cannot slip in.
// Times come from the caller's clock; the key's expiry only forgets an idle account.
const backoffScript = luaScript(`
local now = tonumber(ARGV[1])
local waitUntil = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if waitUntil > now then return {0, waitUntil - now} end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
local free = tonumber(ARGV[2])
if attempts > free then
  local wait = math.min(tonumber(ARGV[3]) * 2 ^ math.min(attempts - free - 1, 40), tonumber(ARGV[4]))
  redis.call('HSET', KEYS[1], 'until', now + wait)
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {attempts, 0}
`);

export type Limit = { max: number; windowSeconds: number };
/** `free` attempts, then a wait of `baseSeconds` doubling per attempt up to `maxSeconds`; forgotten after `resetSeconds` without attempts. */
export type Backoff = { free: number; baseSeconds: number; maxSeconds: number; resetSeconds: number };
export type RateLimiter = ReturnType<typeof createRateLimiter>;

const rateLimited = (waitMs: number) =>
  new ApiError({ code: "RATE_LIMITED", message: "Too many requests, slow down", retryAfter: Math.max(1, Math.ceil(waitMs / 1000)) });

export function createRateLimiter(options: { redis: Redis; prefix?: string; ipv6PrefixLength?: number }) {
  const prefix = `${options.prefix ?? "lodge:"}rl:`;
  const ipv6PrefixLength = options.ipv6PrefixLength ?? 64;

  /**
   * Each call's hits, counted with concurrent calls' in one script run (one round trip for many
   * requests): the script counts the keys in order, so a key hit twice in a run counts twice.
   * Returns each call's counts and the windows' time left, two numbers a hit.
   */
  const counted = batched(async (calls: [key: string, limit: Limit][][]) => {
    const hits = calls.flat();
    const keys = hits.map(([key]) => `${prefix}${key}`);
    const windows = hits.map(([, limit]) => limit.windowSeconds * 1000);
    const counts = (await countScript(options.redis, keys, windows)) as number[];
    const answers: number[][] = [];
    let start = 0;
    for (const call of calls) {
      answers.push(counts.slice(2 * start, 2 * (start + call.length)));
      start += call.length;
    }
    return answers;
  });

  async function count(hits: [key: string, limit: Limit][]) {
    const counts = await counted(hits);
    // The time left in the window of each limit exceeded.
    return hits.flatMap(([, limit], index) => ((counts[2 * index] as number) > limit.max ? [counts[2 * index + 1] as number] : []));
  }

  /**
   * Counts one hit on each key, all in one round trip; throws RATE_LIMITED (429 + Retry-After, the
   * longest wait of the limits exceeded) once any is over its limit.
   */
  async function hitAll(hits: [key: string, limit: Limit][]): Promise<void> {
    const waitsMs = await count(hits);
    if (waitsMs.length > 0) throw rateLimited(Math.max(...waitsMs));
  }

  /** Counts one hit on `key`; throws RATE_LIMITED (429 + Retry-After) once over the limit. */
  const hit = (key: string, limit: Limit) => hitAll([[key, limit]]);

  /** Counts one hit on `key` and says whether it is within the limit, for callers that must not answer differently. */
  const allows = async (key: string, limit: Limit) => (await count([[key, limit]])).length === 0;

  /**
   * Claims one attempt on `key` under an incremental wait (Keycloak's brute-force detection): throws
   * RATE_LIMITED with the time left while a wait runs; returns how many attempts were counted.
   * `reset(key)` (after a success) clears it.
   */
  async function attempt(key: string, backoff: Backoff, now: Date): Promise<number> {
    const [attempts, waitMs] = (await backoffScript(
      options.redis,
      [`${prefix}${key}`],
      [now.getTime(), backoff.free, backoff.baseSeconds * 1000, backoff.maxSeconds * 1000, backoff.resetSeconds * 1000],
    )) as [number, number];
    if (attempts === 0) throw rateLimited(waitMs);
    return attempts;
  }

  async function reset(key: string) {
    await options.redis.del(`${prefix}${key}`);
  }

  /** The part of a key that names the client: every per-IP limit keys on this, so an IPv6 client counts by its network. */
  const client = (ip: string | undefined) => clientNetwork(ip ?? "unknown", ipv6PrefixLength);

  return { hit, hitAll, allows, attempt, reset, client };
}
