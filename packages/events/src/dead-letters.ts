import type { Redis } from "ioredis";

export type DeadLetter = {
  /** The dead-letter entry's id: what `redrive` and `discard` take. */
  id: string;
  stream: string;
  group: string;
  entryId: string;
  event: string;
  error: string;
  attempts?: string;
  failedAt?: string;
};

// Removes the letter and appends the event for its group in one step: two operators redriving the
// same letter at once cannot both append it.
const redriveScript = `
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return false end
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'event', ARGV[3], 'redriveFor', ARGV[4])`;

/**
 * The dead-letter stream, for operators: list the events that were given up on, and redrive them
 * (one, or all) once what made them fail is fixed. A redriven event is appended to its stream again,
 * marked for the one group that failed it; the other groups acknowledge it without handling it.
 */
export function createDeadLetters(options: { redis: Redis; key: string; streamPrefix: string; maxLen: number }) {
  const { redis, key } = options;

  async function list(query: { after?: string; count?: number } = {}): Promise<DeadLetter[]> {
    const start = query.after ? `(${query.after}` : "-";
    const entries = (await redis.xrange(key, start, "+", "COUNT", query.count ?? 100)) as [string, string[]][];
    return entries.map(([id, fields]) => ({ id, ...(Object.fromEntries(pairs(fields)) as Omit<DeadLetter, "id">) }));
  }

  async function get(id: string): Promise<DeadLetter | undefined> {
    const entries = (await redis.xrange(key, id, id)) as [string, string[]][];
    return entries.map(([entryId, fields]) => ({ id: entryId, ...(Object.fromEntries(pairs(fields)) as Omit<DeadLetter, "id">) }))[0];
  }

  /** Puts one letter's event back on its stream for its group; false when there is no such letter (already redriven or discarded). */
  async function redrive(id: string): Promise<boolean> {
    const letter = await get(id);
    if (!letter) return false;
    // Only Lodge's own event streams: a letter is data, and must not name any key it likes.
    if (!letter.stream?.startsWith(options.streamPrefix) || !letter.group) throw new Error(`dead letter ${id} names no event stream of this prefix`);
    const added = await redis.eval(redriveScript, 2, key, letter.stream, id, options.maxLen, letter.event ?? "", letter.group);
    return added !== null;
  }

  /** Redrives every letter there is now; returns how many. */
  async function redriveAll(): Promise<number> {
    let count = 0;
    let after: string | undefined;
    for (;;) {
      const page = await list({ after, count: 100 });
      for (const letter of page) if (await redrive(letter.id)) count += 1;
      if (page.length < 100) return count;
      after = page.at(-1)?.id;
    }
  }

  /** Drops a letter for good (an event nobody should ever handle). */
  async function discard(id: string): Promise<boolean> {
    return (await redis.xdel(key, id)) === 1;
  }

  return { list, get, redrive, redriveAll, discard, count: () => redis.xlen(key) };
}

export type DeadLetters = ReturnType<typeof createDeadLetters>;

export function pairs(fields: string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let index = 0; index + 1 < fields.length; index += 2) result.push([fields[index] as string, fields[index + 1] as string]);
  return result;
}
