import { hostname } from "node:os";
import type { Logger, Redis } from "@lodge/base";
import { createStopSignal } from "@lodge/events";

/**
 * A stream entry as Redis hands it over: its id and its fields as [name, value, ...] (null: deleted
 * meanwhile, seen in a claim); names and values as Buffers for a writer reading `buffers`.
 */
export type StreamEntry<V extends string | Buffer = string> = [id: string, fields: V[] | null];

/** `buffers: true` (with `write` taking `StreamEntry<Buffer>`): fields read as Redis holds them, not decoded, for bytes handed on as they are. */
type FieldValues<V extends string | Buffer> = V extends Buffer ? { buffers: true } : { buffers?: false };

export type StreamWriterOptions<V extends string | Buffer = string> = FieldValues<V> & {
  redis: Redis;
  logger: Logger;
  /** The stream's full key, and the consumer group every instance's writer joins. */
  stream: string;
  group: string;
  /**
   * Stores a batch durably (a transaction, committed when it resolves); the entries are then
   * acknowledged and deleted. Throwing keeps them pending: they are tried again.
   */
  write: (entries: StreamEntry<V>[]) => Promise<unknown>;
  /** Entries read at once. */
  batchSize?: number;
  /** How long an entry read by a writer that then died stays pending before another writer takes it. */
  claimIdleMs?: number;
  /**
   * How long a writer waits after a batch smaller than `batchSize` before reading again, so a
   * trickle makes batches too (each read and write costs round trips, whatever its size).
   */
  lingerMs?: number;
};

/** The one value of `field` in an entry's fields, or undefined. */
export function entryField<V extends string | Buffer>(entry: StreamEntry<V>, field: string): V | undefined {
  const fields = entry[1];
  if (!fields) return undefined;
  for (let index = 0; index < fields.length - 1; index += 2) if (String(fields[index]) === field) return fields[index + 1];
  return undefined;
}

/** XREADGROUP or XAUTOCLAIM, its reply decoded or not (ioredis's `call` and `callBuffer`: one signature, not each form's). */
type StreamCommand = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Moves a Redis stream into a store off the request path: each instance runs one writer, a
 * consumer of one group, that reads what is there (a batch grows with the load; after a partial
 * one it lingers), hands it to `write`, and only once that resolved acknowledges and deletes the
 * entries. A writer whose `write` fails keeps its entries pending and tries them again first; a
 * writer that died leaves them pending until another takes them over (XAUTOCLAIM after
 * `claimIdleMs`). So `write` must be idempotent: an entry may be written twice, never lost.
 */
export function createStreamWriter<V extends string | Buffer = string>(options: StreamWriterOptions<V>) {
  const { redis, logger, stream, group } = options;
  const buffers = options.buffers === true;
  const command =
    (reader: Redis, name: "xreadgroup" | "xautoclaim"): StreamCommand =>
    (...args) =>
      buffers ? reader.callBuffer(name, ...args) : reader.call(name, ...args);
  // Read as Buffers, the ids too: the writer's own use of them (acknowledging, logging) wants text.
  const entriesOf = (entries: [string | Buffer, V[] | null][]): StreamEntry<V>[] =>
    buffers ? entries.map(([id, fields]) => [String(id), fields]) : (entries as StreamEntry<V>[]);
  const batchSize = options.batchSize ?? 500;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const lingerMs = options.lingerMs ?? 250;
  const consumer = `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
  let running = false;
  let done: Promise<void> = Promise.resolve();
  let connection: Redis | undefined;
  let stopped = createStopSignal();

  const settle = async (entries: StreamEntry<V>[]) => {
    await options.write(entries);
    const ids = entries.map(([id]) => id);
    await redis
      .multi()
      .xack(stream, group, ...ids)
      .xdel(stream, ...ids)
      .exec();
  };

  /** `ownPending`: this writer may hold entries it read but did not write (at start, after a failure). */
  type ReadState = { lastClaimAt: number; ownPending: boolean };

  type Read = [key: unknown, entries: [string | Buffer, V[] | null][]][] | null;
  const read = async (reader: Redis, state: ReadState): Promise<StreamEntry<V>[]> => {
    const xreadgroup = command(reader, "xreadgroup");
    if (state.ownPending) {
      // What this writer read but could not write yet (its store was down), before anything new.
      const own = (await xreadgroup("GROUP", group, consumer, "COUNT", batchSize, "STREAMS", stream, "0")) as Read;
      const mine = entriesOf(own?.[0]?.[1] ?? []);
      if (mine.length > 0) return mine;
      state.ownPending = false;
    }
    if (Date.now() - state.lastClaimAt >= claimIdleMs / 2) {
      state.lastClaimAt = Date.now();
      const [, claimed] = (await command(reader, "xautoclaim")(stream, group, consumer, claimIdleMs, "0-0", "COUNT", batchSize)) as [
        unknown,
        [string | Buffer, V[] | null][],
      ];
      if (claimed.length > 0) return entriesOf(claimed);
    }
    // Stopping waits for a blocked read (at most its BLOCK second) and writes what it delivered:
    // cut short, Redis could still hand it entries added meanwhile, left pending until another
    // writer's claim (claimIdleMs) takes them.
    const fresh = (await xreadgroup("GROUP", group, consumer, "COUNT", batchSize, "BLOCK", 1000, "STREAMS", stream, ">")) as Read;
    return entriesOf(fresh?.[0]?.[1] ?? []);
  };

  const loop = async (reader: Redis) => {
    const state: ReadState = { lastClaimAt: 0, ownPending: true };
    let ready = false;
    while (running) {
      try {
        if (!ready) {
          await reader.xgroup("CREATE", stream, group, "0", "MKSTREAM").catch((error: Error) => {
            if (!error.message.includes("BUSYGROUP")) throw error;
          });
          ready = true;
        }
        const entries = await read(reader, state);
        if (entries.length === 0) continue;
        await settle(entries);
        if (entries.length < batchSize && lingerMs > 0) await stopped.until(Bun.sleep(lingerMs), () => undefined);
      } catch (error) {
        if (!running) break;
        state.ownPending = true;
        if (error instanceof Error && error.message.includes("NOGROUP")) ready = false;
        logger.warn({ err: error, stream }, "stream writer failed, retrying");
        await stopped.until(Bun.sleep(500), () => undefined);
      }
    }
  };

  return {
    start() {
      if (running) return;
      running = true;
      stopped = createStopSignal();
      // Blocking reads get a connection of their own, so they never hold up the service's commands.
      connection = redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
      connection.on("error", () => {});
      done = loop(connection);
    },
    /** Stops reading; a read in flight (at most a second) and a batch being written finish (and are acknowledged) first. */
    async stop() {
      if (!running) return;
      running = false;
      stopped.fire();
      await done;
      connection?.disconnect();
    },
  };
}

export type StreamWriter = ReturnType<typeof createStreamWriter>;
