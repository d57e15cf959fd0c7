import type { Redis } from "ioredis";
import { ApiError } from "./errors";

// Fixed windows, atomic across every instance: for each key, increment, set the window's expiry on first hit.
const script = `
local counts = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, ARGV[i]) end
  counts[#counts + 1] = count
  counts[#counts + 1] = redis.call('PTTL', key)
end
return counts
`;

export type Limit = { max: number; windowSeconds: number };
export type RateLimiter = ReturnType<typeof createRateLimiter>;

export function createRateLimiter(options: { redis: Redis; prefix?: string }) {
  const prefix = `${options.prefix ?? "lodge:"}rl:`;

  /**
   * Counts one hit on each key, all in one round trip; throws RATE_LIMITED (429 + Retry-After, the
   * longest wait of the limits exceeded) once any is over its limit.
   */
  async function hitAll(hits: [key: string, limit: Limit][]): Promise<void> {
    const keys = hits.map(([key]) => `${prefix}${key}`);
    const windows = hits.map(([, limit]) => limit.windowSeconds * 1000);
    const counts = (await options.redis.eval(script, keys.length, ...keys, ...windows)) as number[];
    // The time left in the window of each limit exceeded.
    const waitsMs = hits.flatMap(([, limit], index) => ((counts[2 * index] as number) > limit.max ? [counts[2 * index + 1] as number] : []));
    if (waitsMs.length > 0) {
      const retryAfterMs = Math.max(...waitsMs);
      throw new ApiError({ code: "RATE_LIMITED", message: "Too many requests, slow down", retryAfter: Math.max(1, Math.ceil(retryAfterMs / 1000)) });
    }
  }

  /** Counts one hit on `key`; throws RATE_LIMITED (429 + Retry-After) once over the limit. */
  const hit = (key: string, limit: Limit) => hitAll([[key, limit]]);

  async function reset(key: string) {
    await options.redis.del(`${prefix}${key}`);
  }

  return { hit, hitAll, reset };
}
