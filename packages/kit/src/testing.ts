import type { Redis } from "ioredis";
import { connectRedis } from "./redis";

/** The Redis tests run against: REDIS_URL, or the local one. */
export const testRedisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A Redis connection plus a key prefix of its own, so test files never see each other's keys. */
export async function createTestRedis(): Promise<{ redis: Redis; prefix: string; cleanup: () => Promise<void> }> {
  const redis = await connectRedis(testRedisUrl);
  const prefix = `lodge-test-${crypto.randomUUID().slice(0, 8)}:`;
  return {
    redis,
    prefix,
    cleanup: async () => {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== "0");
      redis.disconnect();
    },
  };
}

/** Every event of one type in the stream, oldest first (tests read what a service published). */
export async function readStream(redis: Redis, prefix: string, type: string): Promise<{ id: string; type: string; data: Record<string, unknown> }[]> {
  const entries = (await redis.xrange(`${prefix}events:${type}`, "-", "+")) as [string, string[]][];
  return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf("event") + 1] ?? "{}"));
}

/** Polls until `check` returns a truthy value (no timed assertions: a deadline only stops a hung test). */
export async function eventually<T>(check: () => Promise<T> | T, deadlineMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error("condition not met before the deadline");
    await Bun.sleep(25);
  }
}
