import { Redis } from "ioredis";

export { Redis };

export type RedisTimeouts = {
  /** A command with no reply after this long fails (a 503), and the silent socket is dropped and reopened. */
  commandTimeoutMs?: number;
  /** How long to wait for the TCP connection. */
  connectTimeoutMs?: number;
};

export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/**
 * Commands fail fast while Redis is unreachable (no offline queue), so a request gets a 503 at
 * once instead of hanging; the client keeps reconnecting in the background and recovers by itself.
 * A half-open connection (the peer stopped answering) fails each command after `commandTimeoutMs`
 * and is torn down and reopened (socketTimeout), rather than hanging requests and the outbox relay.
 * Commands issued in the same turn of the event loop go out in one write (auto-pipelining): under
 * concurrent requests each socket write (a syscall that also delivers on loopback) carries many
 * commands instead of one, which halves Redis's share of a busy service's CPU.
 */
export async function connectRedis(url: string, options: { waitMs?: number } & RedisTimeouts = {}): Promise<Redis> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 3000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  ownOptions(redis, { commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS, enableAutoPipelining: true });
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

/**
 * The timeouts and auto-pipelining belong to this client only. The connections made from its
 * options (`duplicate()` for the event bus's XREADGROUP BLOCK, BullMQ's spread of `redis.options`
 * for BZPOPMIN) run blocking commands that legitimately wait for seconds, so they must not inherit
 * a timeout meant for request-path commands, nor queue commands behind a blocked one:
 * non-enumerable properties are not copied by an object spread.
 */
function ownOptions(redis: Redis, options: { commandTimeout: number; enableAutoPipelining: boolean }) {
  const own = { commandTimeout: options.commandTimeout, socketTimeout: options.commandTimeout, enableAutoPipelining: options.enableAutoPipelining };
  for (const [name, value] of Object.entries(own)) {
    Object.defineProperty(redis.options, name, { value, enumerable: false, writable: true, configurable: true });
  }
}
