import { luaScript, type Redis } from "@lodge/kit";
import { updateKeys } from "./queue";
import { shardOf } from "./routing";

/** An update given up on, as the workers left it in the dead-letter stream. */
export type UpdateDeadLetter = {
  id: string;
  update: string;
  key?: string;
  type?: string;
  /** When the update came (ms, the service's clock): kept through a redrive. */
  at?: string;
  shard?: string;
  entryId?: string;
  error?: string;
  attempts?: string;
  failedAt?: string;
};

// The letter leaves the dead-letter stream and its update joins its queue in one step: two
// operators redriving it at once cannot queue it twice.
const redriveScript = luaScript(`
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return false end
return redis.call('XADD', KEYS[2], '*', 'update', ARGV[2], 'key', ARGV[3], 'type', ARGV[4], 'at', ARGV[5])`);

/**
 * The bot's dead-letter stream, for operators (`bun run --cwd apps/bot updates:dead-letters`): list
 * the updates given up on, and once their cause is fixed, put them back on their chat's queue
 * (behind what it holds now; the id dedupe does not stop them) or discard them.
 */
export function updateDeadLetters(options: { redis: Redis; prefix: string; shards: number }) {
  const { redis, shards } = options;
  const keys = updateKeys(options.prefix);
  const letterOf = ([id, fields]: [string, string[]]): UpdateDeadLetter => {
    const letter: Record<string, string> = { id };
    for (let index = 0; index + 1 < fields.length; index += 2) letter[fields[index] as string] = fields[index + 1] as string;
    return letter as UpdateDeadLetter;
  };

  async function list(count = 100): Promise<UpdateDeadLetter[]> {
    return ((await redis.xrange(keys.deadLetter, "-", "+", "COUNT", count)) as [string, string[]][]).map(letterOf);
  }

  /** Queues a letter's update again; false when there is no such letter, or it holds no update to run (discard it). */
  async function redrive(id: string): Promise<boolean> {
    const [entry] = (await redis.xrange(keys.deadLetter, id, id)) as [string, string[]][];
    const letter = entry && letterOf(entry);
    if (!letter?.key || !letter.update) return false;
    const added = await redriveScript(
      redis,
      [keys.deadLetter, keys.shard(shardOf(letter.key, shards))],
      [id, letter.update, letter.key, letter.type ?? "unknown", letter.at ?? ""],
    );
    return added !== null;
  }

  return {
    list,
    redrive,
    /** Every letter there is now that can be queued again; returns how many were. */
    async redriveAll(): Promise<number> {
      let count = 0;
      for (const letter of await list(10_000)) if (await redrive(letter.id)) count += 1;
      return count;
    },
    discard: async (id: string) => (await redis.xdel(keys.deadLetter, id)) === 1,
  };
}
