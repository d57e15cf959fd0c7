import type { Redis } from "@lodge/kit";
import type { StorageAdapter } from "grammy";
import { sessionKey } from "../helpers/session-key";

/** grammY session storage in Redis: one JSON value per chat, its TTL renewed on every write. */
export function redisSessionStorage<T>(options: { redis: Redis; prefix: string; ttlSeconds: number }): StorageAdapter<T> {
  const keyOf = (key: string) => sessionKey(options.prefix, key);
  return {
    read: async (key) => {
      const value = await options.redis.get(keyOf(key));
      return value === null ? undefined : (JSON.parse(value) as T);
    },
    write: async (key, value) => {
      await options.redis.set(keyOf(key), JSON.stringify(value), "EX", options.ttlSeconds);
    },
    delete: async (key) => {
      await options.redis.del(keyOf(key));
    },
  };
}
