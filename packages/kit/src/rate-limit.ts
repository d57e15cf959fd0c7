import type { Redis } from "ioredis";
import { ApiError } from "./errors";

// Fixed window, atomic across every instance: increment, set the window's expiry on first hit.
const script = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
`;

export type Limit = { max: number; windowSeconds: number };
export type RateLimiter = ReturnType<typeof createRateLimiter>;

export function createRateLimiter(options: { redis: Redis; prefix?: string }) {
  const prefix = `${options.prefix ?? "lodge:"}rl:`;

  /** Counts one hit on `key`; throws RATE_LIMITED (429 + Retry-After) once over the limit. */
  async function hit(key: string, limit: Limit): Promise<void> {
    const [count, ttlMs] = (await options.redis.eval(script, 1, `${prefix}${key}`, limit.windowSeconds * 1000)) as [number, number];
    if (count > limit.max) {
      throw new ApiError({ code: "RATE_LIMITED", message: "Too many requests, slow down", retryAfter: Math.max(1, Math.ceil(ttlMs / 1000)) });
    }
  }

  async function reset(key: string) {
    await options.redis.del(`${prefix}${key}`);
  }

  return { hit, reset };
}
