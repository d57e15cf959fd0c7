import { entryField, type StreamEntry } from "@lodge/kit";
import type { Update } from "grammy/types";
import type { QueuedUpdate } from "./attempts";

/** A stream entry as the workers run it, or undefined when it holds no update (written by something else). */
export function parseEntry(entry: StreamEntry): QueuedUpdate | undefined {
  const raw = entryField(entry, "update");
  const key = entryField(entry, "key");
  if (raw === undefined || !key) return undefined;
  try {
    const update = JSON.parse(raw) as Update;
    if (!Number.isSafeInteger(update?.update_id)) return undefined;
    // An entry without `at` (queued before it was written): the stream id's time, Redis's clock.
    const receivedAt = new Date(Number(entryField(entry, "at")) || Number(entry[0].split("-")[0]));
    return { id: entry[0], update, key, type: entryField(entry, "type") ?? "unknown", raw, receivedAt };
  } catch {
    return undefined;
  }
}

/** A dead letter: the update and what a redrive needs to queue it again (its ordering key and type), and why it was given up. */
export function deadLetterFields(shard: number, queued: QueuedUpdate, reason: string, attempts: number, now: Date) {
  return [
    "update",
    queued.raw,
    "key",
    queued.key,
    "type",
    queued.type,
    "at",
    String(queued.receivedAt.getTime()),
    "shard",
    String(shard),
    "entryId",
    queued.id,
    "error",
    reason.slice(0, 500),
    "attempts",
    String(attempts),
    "failedAt",
    now.toISOString(),
  ];
}

/** At most `size` at once; the others wait their turn in order. */
export function createSlots(size: number) {
  let free = size;
  const waiting: (() => void)[] = [];
  return {
    take: () => {
      if (free > 0) {
        free -= 1;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    give: () => {
      const next = waiting.shift();
      if (next) next();
      else free += 1;
    },
  };
}
