import { Redis } from "ioredis";

export { Redis };

/**
 * Commands fail fast while Redis is unreachable (no offline queue), so a request gets a 503 at
 * once instead of hanging; the client keeps reconnecting in the background and recovers by itself.
 */
export async function connectRedis(url: string, options: { waitMs?: number } = {}): Promise<Redis> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  redis.on("error", () => {}); // reconnects on its own; callers see failures per command
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis at ${new URL(url).host} is not reachable`)), options.waitMs ?? 10_000);
    redis.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis;
}
