import { luaScript, type Redis } from "@lodge/kit";
import type { Update } from "grammy/types";
import { orderingKeyOf, shardOf, updateTypeOf } from "./routing";

/** Where the update queue lives in Redis, under the service's prefix. */
export function updateKeys(prefix: string) {
  return {
    /** One ordered queue (a stream) per shard. */
    shard: (index: number) => `${prefix}bot:updates:${index}`,
    /** Which update ids were queued: one bit each, in chunks of SEEN_CHUNK_BITS ids. */
    seen: (chunk: number) => `${prefix}bot:updates:seen:${chunk}`,
    /** Who works a shard (or polls Telegram) now. */
    lease: (name: string) => `${prefix}bot:updates:lease:${name}`,
    /** Updates given up on, for an operator. */
    deadLetter: `${prefix}bot:updates:dead-letter`,
  };
}

/**
 * Telegram's update ids count up one by one, so the ids seen are kept as bits (65,536 to a key, 8 KiB):
 * a day's million updates cost 128 KiB, not a key each. A chunk lives for SEEN_TTL_SECONDS after
 * its last write: longer than Telegram retries a webhook delivery or keeps an unconfirmed update.
 */
const SEEN_CHUNK_BITS = 65_536;
const SEEN_TTL_SECONDS = 2 * 86_400;

// The id's bit is tested and set, and the update queued, in one step: two deliveries of one
// update (Telegram retrying a webhook whose answer it missed, a poller restarted before it
// confirmed) queue it once, however close together they arrive.
const enqueueScript = luaScript(`
if redis.call('SETBIT', KEYS[1], ARGV[1], 1) == 1 then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[2], '*', 'update', ARGV[3], 'key', ARGV[4], 'type', ARGV[5], 'at', ARGV[6])
return 1`);

export type UpdateQueueOptions = { redis: Redis; prefix: string; shards: number };

/**
 * The durable side of the pipeline: `enqueue` puts an update on its shard's stream (once per
 * update id) and resolves only once Redis has it; the workers (workers.ts) take it from there.
 */
export function createUpdateQueue(options: UpdateQueueOptions) {
  const { redis, shards } = options;
  const keys = updateKeys(options.prefix);
  const shardKeys = Array.from({ length: shards }, (_, index) => keys.shard(index));

  /**
   * Queues an update: "queued", or "duplicate" when its id was queued before. `receivedAt` (the
   * service's clock) goes with it: every attempt reads the user's words ("in 10 minutes") from it.
   */
  async function enqueue(update: Update, receivedAt: Date): Promise<"queued" | "duplicate"> {
    const key = orderingKeyOf(update);
    const id = update.update_id;
    const added = await enqueueScript(
      redis,
      [keys.seen(Math.floor(id / SEEN_CHUNK_BITS)), keys.shard(shardOf(key, shards))],
      [id % SEEN_CHUNK_BITS, SEEN_TTL_SECONDS, JSON.stringify(update), key, updateTypeOf(update), receivedAt.getTime()],
    );
    return added === 1 ? "queued" : "duplicate";
  }

  /** Updates queued and not yet done (being processed, waiting, or waiting out a retry), over every shard. */
  async function depth(): Promise<number> {
    const lengths = await Promise.all(shardKeys.map((key) => redis.xlen(key)));
    return lengths.reduce((sum, length) => sum + length, 0);
  }

  /** When the oldest update still queued was queued (ms since the epoch, Redis's clock), or undefined when none is. */
  async function oldestQueuedAt(): Promise<number | undefined> {
    const heads = await Promise.all(shardKeys.map((key) => redis.xrange(key, "-", "+", "COUNT", 1)));
    const times = heads.flatMap((entries) => entries.map(([id]) => Number(id.split("-")[0])));
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  return { keys, shards, shardKeys, enqueue, depth, oldestQueuedAt, deadLetters: () => redis.xlen(keys.deadLetter) };
}

export type UpdateQueue = ReturnType<typeof createUpdateQueue>;
