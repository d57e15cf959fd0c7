import { hostname } from "node:os";
import type { Db } from "@lodge/db";
import { usage } from "@lodge/db/schema";
import { createStopSignal } from "@lodge/events";
import { causedBy, type Logger, type Redis } from "@lodge/kit";
import { getTableColumns, sql } from "drizzle-orm";

/** One call's usage record as settle queues it (JSON in the stream entry's `usage` field). */
export type UsageRecord = Omit<typeof usage.$inferInsert, "createdAt"> & { id: string; createdAt: string };

export type UsageWriterOptions = {
  redis: Redis;
  db: Db;
  logger: Logger;
  /** The deployment's Redis prefix (the stream is `usageStreamOf(prefix)`). */
  prefix: string;
  /** Entries read at once: one multi-row insert. */
  batchSize?: number;
  /** How long an entry read by a writer that then died stays pending before another writer takes it. */
  claimIdleMs?: number;
  /**
   * How long a writer waits after a batch smaller than `batchSize` before reading again, so a
   * trickle of calls is written in batches too (each read and write costs round trips, whatever its size).
   */
  lingerMs?: number;
};

const GROUP = "usage-writer";

/** The stream settle appends usage records to. */
export const usageStreamOf = (prefix: string) => `${prefix}ai:usage`;

/** Set (for a week) once a user's data is erased: their records still in the stream are dropped, not written back. */
export const erasedUserKeyOf = (prefix: string, userId: string) => `${prefix}ai:u:${userId}:erased`;
export const ERASED_FLAG_SECONDS = 7 * 24 * 3600;

/** Each record field and the usage column it goes to. */
const columns = Object.entries(getTableColumns(usage)).map(([field, column]) => [field as keyof UsageRecord, column.name] as const);

/** A record as a row of the usage table's own type in JSON (its fields under their column names). */
function rowOf(record: UsageRecord): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [field, name] of columns) row[name] = record[field];
  return row;
}

/**
 * Moves usage records from the Redis stream settle appends to into Postgres, off the request path:
 * each instance runs one writer, a consumer of one group, that reads what is there (a batch grows
 * with the load; after a partial one it lingers, so a trickle makes batches too), inserts it in one statement (ON CONFLICT (id) DO NOTHING, so an entry written
 * twice stays one row) and only then acknowledges and deletes the entries. A writer that fails to
 * insert keeps its entries pending and tries them again; a writer that died leaves them pending
 * until another takes them over (XAUTOCLAIM). Nothing acknowledged to Redis is lost.
 */
export function createUsageWriter(options: UsageWriterOptions) {
  const { redis, logger, prefix } = options;
  const stream = usageStreamOf(prefix);
  const batchSize = options.batchSize ?? 500;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const lingerMs = options.lingerMs ?? 250;
  const consumer = `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
  let running = false;
  let done: Promise<void> = Promise.resolve();
  let connection: Redis | undefined;
  let stopped = createStopSignal();

  /** Entries as [id, fields]; a deleted entry comes back from a claim with no fields. */
  type Entry = [string, string[] | null];

  const write = async (entries: Entry[]) => {
    const rows: UsageRecord[] = [];
    for (const [id, fields] of entries) {
      try {
        rows.push(JSON.parse(fields?.[fields.indexOf("usage") + 1] ?? "") as UsageRecord);
      } catch (error) {
        logger.error({ err: error, entryId: id }, "unreadable usage entry dropped");
      }
    }
    const kept = await withoutErasedUsers(rows);
    if (kept.length > 0) await insert(kept);
    const ids = entries.map(([id]) => id);
    await redis
      .multi()
      .xack(stream, GROUP, ...ids)
      .xdel(stream, ...ids)
      .exec();
    return kept.length;
  };

  /** The rows whose user has not been erased meanwhile (a call that ended as its user was deleted). */
  const withoutErasedUsers = async (rows: UsageRecord[]) => {
    if (rows.length === 0) return rows;
    const userIds = [...new Set(rows.map((row) => row.userId))];
    const flags = await redis.mget(...userIds.map((userId) => erasedUserKeyOf(prefix, userId)));
    const erased = new Set(userIds.filter((_, index) => flags[index] !== null));
    return erased.size === 0 ? rows : rows.filter((row) => !erased.has(row.userId));
  };

  /**
   * One statement with one parameter for the batch: Postgres reads the rows from JSON (building a
   * multi-row insert value by value cost the gateway more CPU than the calls it records). Should
   * Postgres refuse a row's data, the rest are written one by one and that one logged.
   */
  const insertRows = (rows: UsageRecord[]) =>
    options.db.execute(
      sql`insert into ${usage} select * from json_populate_recordset(null::${usage}, ${JSON.stringify(rows.map(rowOf))}::json) on conflict (id) do nothing`,
    );
  const insert = async (rows: UsageRecord[]) => {
    try {
      await insertRows(rows);
    } catch (error) {
      if (!isRefusedData(error)) throw error;
      for (const row of rows) {
        await insertRows([row]).catch((rowError: unknown) => {
          if (!isRefusedData(rowError)) throw rowError;
          logger.error({ err: rowError, usageId: row.id }, "usage record refused by Postgres, dropped");
        });
      }
    }
  };

  /** `ownPending`: this writer may hold entries it read but did not write (at start, after a failure). */
  type ReadState = { lastClaimAt: number; ownPending: boolean };

  const read = async (reader: Redis, state: ReadState): Promise<Entry[]> => {
    if (state.ownPending) {
      // What this writer read but could not write yet (Postgres was down), before anything new.
      const own = (await reader.xreadgroup("GROUP", GROUP, consumer, "COUNT", batchSize, "STREAMS", stream, "0")) as [string, Entry[]][] | null;
      const mine = own?.[0]?.[1] ?? [];
      if (mine.length > 0) return mine;
      state.ownPending = false;
    }
    if (Date.now() - state.lastClaimAt >= claimIdleMs / 2) {
      state.lastClaimAt = Date.now();
      const [, claimed] = (await reader.xautoclaim(stream, GROUP, consumer, claimIdleMs, "0-0", "COUNT", batchSize)) as [string, Entry[]];
      if (claimed.length > 0) return claimed;
    }
    const fresh = reader.xreadgroup("GROUP", GROUP, consumer, "COUNT", batchSize, "BLOCK", 1000, "STREAMS", stream, ">") as Promise<[string, Entry[]][] | null>;
    // Stopping waits for a blocked read (at most its BLOCK second) and writes what it delivered:
    // cut short, Redis could still hand it entries added meanwhile, left pending until another
    // writer's claim (claimIdleMs) takes them.
    return (await fresh)?.[0]?.[1] ?? [];
  };

  const loop = async (reader: Redis) => {
    const state: ReadState = { lastClaimAt: 0, ownPending: true };
    let ready = false;
    while (running) {
      try {
        if (!ready) {
          await reader.xgroup("CREATE", stream, GROUP, "0", "MKSTREAM").catch((error: Error) => {
            if (!error.message.includes("BUSYGROUP")) throw error;
          });
          ready = true;
        }
        const entries = await read(reader, state);
        if (entries.length === 0) continue;
        const written = await write(entries);
        logger.debug({ entries: entries.length, written }, "usage records written");
        if (entries.length < batchSize && lingerMs > 0) await stopped.until(Bun.sleep(lingerMs), () => undefined);
      } catch (error) {
        if (!running) break;
        state.ownPending = true;
        if (error instanceof Error && error.message.includes("NOGROUP")) ready = false;
        logger.warn({ err: error }, "usage writer failed, retrying");
        await stopped.until(Bun.sleep(500), () => undefined);
      }
    }
  };

  return {
    /** Writes one record straight to Postgres: for a call settled while Redis is unreachable. */
    writeNow: (record: UsageRecord) => insert([record]),
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

export type UsageWriter = ReturnType<typeof createUsageWriter>;

/** Postgres refused the data itself (class 22, or a constraint of class 23): writing it again cannot succeed. */
function isRefusedData(error: unknown): boolean {
  return causedBy(error, ({ code }) => typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code));
}
