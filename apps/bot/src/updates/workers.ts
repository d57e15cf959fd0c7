import { createStopSignal } from "@lodge/events";
import { entryField, type Logger, type Redis, type StreamEntry } from "@lodge/kit";
import type { Update } from "grammy/types";
import { type AttemptContext, attemptUpdate, defaultRetry, type QueuedUpdate, type RetryPolicy } from "./attempts";
import { createSlots, deadLetterFields, parseEntry } from "./entries";
import type { Leases } from "./lease";
import type { UpdateMetrics } from "./metrics";
import type { UpdateQueue } from "./queue";

export type UpdateWorkersOptions = {
  queue: UpdateQueue;
  /** The service's client (short command timeouts); blocking reads get a connection of their own. */
  redis: Redis;
  logger: Logger;
  clock: () => Date;
  metrics: UpdateMetrics;
  /** Runs one update (grammY's handleUpdate); throwing has it retried or rejected (attempts.ts). */
  handle: (update: Update, receivedAt: Date) => Promise<void>;
  /** Resolves once updates can be handled (the bot's getMe answered); nothing is read before. */
  ready: () => Promise<unknown>;
  /** Who works which shard (a killed worker's shards wait out the lease's ttl). */
  leases: Leases;
  retry?: RetryPolicy;
  /** Updates this instance runs at once, over all its shards (each on its own chat). */
  concurrency?: number;
  /** Updates read ahead per shard. */
  readAhead?: number;
  /** How long stop() waits for updates being run before it leaves them to the next worker. */
  drainMs?: number;
};

/** A shard this instance works: its stream, how far it has read, and its updates not yet done, per ordering key. */
type Shard = {
  index: number;
  stream: string;
  cursor: string;
  lost: boolean;
  renewedAt: number;
  /** Read, not yet started, per ordering key (in update id order). */
  waiting: Map<string, QueuedUpdate[]>;
  /** One chain per ordering key being worked. */
  chains: Set<Promise<void>>;
  backlog: number;
};

/**
 * The workers of one instance. Each shard of the queue is worked by one instance at a time (a
 * lease in Redis, renewed every third of its ttl); an instance takes every free shard. A worked
 * shard is read from its start – what a worker that died left behind comes first – and its
 * updates run one at a time per ordering key (a chat), in order, different keys in parallel. An
 * update leaves its stream only once it is done (XDEL), so nothing read is lost: whatever an
 * instance did not finish is run by the next holder of the shard. Handlers must therefore bear
 * running an update again after a crash (at least once, in order).
 */
export function startUpdateWorkers(options: UpdateWorkersOptions) {
  const { queue, redis, logger, clock, metrics, leases } = options;
  const leaseMs = leases.ttlMs;
  const readAhead = options.readAhead ?? 100;
  const drainMs = options.drainMs ?? 8000;
  const slots = createSlots(options.concurrency ?? 64);
  const shards = new Map<number, Shard>();
  const stopped = createStopSignal();
  let running = true;
  // Blocking reads wait up to a second: a connection of their own, never holding up other commands.
  const reader = redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined, socketTimeout: 6000 });
  reader.on("error", () => {});

  const sleep = (ms: number) => stopped.until(Bun.sleep(ms), () => undefined);

  const context = (shard: Shard): AttemptContext => ({
    handle: options.handle,
    logger: logger.child({ shard: shard.index }),
    metrics,
    retry: options.retry ?? defaultRetry,
    pause: async (ms) => {
      const due = clock().getTime() + ms;
      for (;;) {
        if (!running || shard.lost) return false;
        const remaining = due - clock().getTime();
        if (remaining <= 0) return true;
        // Small steps: a test's clock moves without timers firing.
        await sleep(Math.min(remaining, 100));
      }
    },
    deadLetter: async (queued, reason, attempts) => {
      await settle(shard, queued, () =>
        redis
          .multi()
          .xadd(queue.keys.deadLetter, "MAXLEN", "~", 10_000, "*", ...deadLetterFields(shard.index, queued, reason, attempts, clock()))
          .xdel(shard.stream, queued.id)
          .exec(),
      );
    },
  });

  /** A write that ends an update (its XDEL, or its dead letter), tried until Redis takes it; given up only if the shard is lost or the drain is over. */
  const settle = async (shard: Shard, queued: QueuedUpdate, write: () => Promise<unknown>) => {
    for (;;) {
      try {
        await write();
        return;
      } catch (error) {
        if (shard.lost || stopped.fired) {
          logger.warn({ err: error, updateId: queued.update.update_id }, "could not remove a done update from its queue: it may run again");
          return;
        }
        await Bun.sleep(250);
      }
    }
  };

  /** Works one ordering key's updates, one after the other, until none is waiting (or the shard is given up). */
  const chain = (shard: Shard, key: string) => {
    const run = async () => {
      const waiting = shard.waiting.get(key) ?? [];
      while (waiting.length > 0 && running && !shard.lost) {
        await slots.take();
        try {
          if (!running || shard.lost) break;
          const queued = waiting.shift() as QueuedUpdate;
          shard.backlog -= 1;
          if ((await attemptUpdate(queued, context(shard))) === "done") await settle(shard, queued, () => redis.xdel(shard.stream, queued.id));
        } finally {
          slots.give();
        }
      }
      shard.waiting.delete(key);
    };
    const task = run().catch((error) => logger.error({ err: error, shard: shard.index }, "update chain failed"));
    shard.chains.add(task);
    void task.finally(() => shard.chains.delete(task));
  };

  const accept = (shard: Shard, entries: StreamEntry[]) => {
    for (const entry of entries) {
      shard.cursor = entry[0];
      const queued = parseEntry(entry);
      if (!queued) {
        // Nothing a worker can run (written by hand, or by another version): set aside at once.
        const raw = entryField(entry, "update") ?? "";
        void context(shard).deadLetter({ id: entry[0], update: { update_id: -1 }, key: "", type: "unknown", raw, receivedAt: clock() }, "not an update", 0);
        logger.error({ shard: shard.index, entryId: entry[0] }, "a queued entry is not an update: dead-lettered");
        continue;
      }
      shard.backlog += 1;
      const waiting = shard.waiting.get(queued.key);
      if (waiting) {
        // Telegram's order (update ids) among what waits, should deliveries have crossed.
        const at = waiting.findIndex((other) => other.update.update_id > queued.update.update_id);
        waiting.splice(at === -1 ? waiting.length : at, 0, queued);
      } else {
        shard.waiting.set(queued.key, [queued]);
        chain(shard, queued.key);
      }
    }
  };

  const readLoop = async () => {
    while (running) {
      try {
        // Stopping need not wait for Telegram's getMe (a hung call lasts grammY's timeout, minutes).
        await stopped.until(options.ready(), () => undefined);
      } catch (error) {
        logger.debug({ err: error }, "the bot is not ready: updates wait in the queue");
        await sleep(1000);
        continue;
      }
      const readable = [...shards.values()].filter((shard) => !shard.lost && shard.backlog < readAhead);
      if (readable.length === 0) {
        await sleep(50);
        continue;
      }
      try {
        const read = reader.xread(
          "COUNT",
          readAhead,
          "BLOCK",
          1000,
          "STREAMS",
          ...readable.map((shard) => shard.stream),
          ...readable.map((shard) => shard.cursor),
        ) as Promise<[string, StreamEntry[]][] | null>;
        // Stopping need not wait for a read: what it would have brought stays in the stream.
        const result = await stopped.until(read, () => null);
        for (const [stream, entries] of result ?? []) {
          const shard = readable.find((candidate) => candidate.stream === stream);
          if (shard && !shard.lost && running) accept(shard, entries);
        }
      } catch (error) {
        if (!running) break;
        logger.warn({ err: error }, "reading the update queue failed, retrying");
        await sleep(500);
      }
    }
  };

  /** One round of the leases: keep ours (or notice they are gone), take the free ones; false when Redis failed. */
  const leaseRound = async () => {
    const now = Date.now();
    let failed = false;
    const ours = [...shards.values()];
    for (const shard of ours) if (shard.lost && shard.chains.size === 0) shards.delete(shard.index);
    await Promise.all(
      ours
        .filter((shard) => !shard.lost)
        .map(async (shard) => {
          try {
            if (await leases.renew(String(shard.index))) shard.renewedAt = now;
            else lose(shard, "taken by another instance");
          } catch (error) {
            failed = true;
            // Given up before the lease can lapse (renewals run every third of it), so two instances never overlap.
            if (now - shard.renewedAt >= leaseMs * 0.6) lose(shard, "not renewed in time (Redis unreachable)");
            else logger.debug({ err: error, shard: shard.index }, "renewing a shard's lease failed");
          }
        }),
    );
    const free = Array.from({ length: queue.shards }, (_, index) => index).filter((index) => !shards.has(index));
    await Promise.all(
      free.map(async (index) => {
        try {
          if (running && (await leases.acquire(String(index)))) shards.set(index, newShard(index, now));
        } catch (error) {
          failed = true;
          logger.debug({ err: error, shard: index }, "taking a shard's lease failed");
        }
      }),
    );
    return !failed;
  };

  const leaseLoop = async () => {
    while (running) {
      const ok = await leaseRound();
      await sleep(ok ? leaseMs / 3 : Math.min(leaseMs / 3, 500));
    }
  };

  const newShard = (index: number, now: number): Shard => ({
    index,
    stream: queue.keys.shard(index),
    cursor: "0-0",
    lost: false,
    renewedAt: now,
    waiting: new Map(),
    chains: new Set(),
    backlog: 0,
  });

  const lose = (shard: Shard, why: string) => {
    shard.lost = true;
    shard.waiting.clear();
    logger.warn({ shard: shard.index, why }, "lost a shard of the update queue: another instance runs it");
  };

  const loops = Promise.all([readLoop(), leaseLoop()]);

  return {
    /** The shards this instance works now. */
    held: () => [...shards.values()].filter((shard) => !shard.lost).map((shard) => shard.index),
    /**
     * Stops reading; updates being run finish (up to `drainMs`, then they are left to the next
     * holder of their shard); the leases of shards with nothing left running are let go, so
     * another instance takes them at once.
     */
    async stop() {
      if (!running) return;
      running = false;
      stopped.fire();
      await loops;
      const chains = [...shards.values()].flatMap((shard) => [...shard.chains]);
      const drained = await Promise.race([Promise.all(chains).then(() => true), Bun.sleep(drainMs).then(() => false)]);
      if (!drained) logger.warn("updates still running at shutdown are left to the next worker");
      for (const shard of shards.values()) {
        if (!shard.lost && shard.chains.size === 0) await leases.release(String(shard.index)).catch(() => undefined);
      }
      reader.disconnect();
    },
  };
}

export type UpdateWorkers = ReturnType<typeof startUpdateWorkers>;
