import { luaScript, type Redis } from "@lodge/kit";

const renewScript = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);
const releaseScript = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/**
 * Named leases in Redis, one holder each across every instance: taken when free, kept by renewing
 * within `ttlMs`, and free again `ttlMs` after a holder that died last renewed (or at once when it
 * lets go). Renewing and letting go only ever touch the caller's own lease.
 */
export function createLeases(options: { redis: Redis; keyOf: (name: string) => string; owner: string; ttlMs: number }) {
  const { redis, keyOf, owner, ttlMs } = options;
  return {
    owner,
    ttlMs,
    acquire: async (name: string) => (await redis.set(keyOf(name), owner, "PX", ttlMs, "NX")) === "OK",
    /** False when the lease is no longer ours (it lapsed, and perhaps another took it). */
    renew: async (name: string) => (await renewScript(redis, [keyOf(name)], [owner, ttlMs])) === 1,
    release: async (name: string) => {
      await releaseScript(redis, [keyOf(name)], [owner]);
    },
  };
}

export type Leases = ReturnType<typeof createLeases>;
