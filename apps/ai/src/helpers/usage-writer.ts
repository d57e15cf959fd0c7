import type { Db } from "@lodge/db";
import { usage } from "@lodge/db/schema";
import { causedBy, createStreamWriter, entryField, type StreamEntry, type StreamWriterOptions } from "@lodge/kit";
import { getTableColumns, sql } from "drizzle-orm";

/** One call's usage record as settle queues it (JSON in the stream entry's `usage` field). */
export type UsageRecord = Omit<typeof usage.$inferInsert, "createdAt"> & { id: string; createdAt: string };

/** The stream writer's knobs (batch size, claim and linger times), plus where the records come from and go. */
export type UsageWriterOptions = Pick<StreamWriterOptions, "redis" | "logger" | "batchSize" | "claimIdleMs" | "lingerMs"> & {
  db: Db;
  /** The deployment's Redis prefix (the stream is `usageStreamOf(prefix)`). */
  prefix: string;
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
 * Moves usage records from the Redis stream settle appends to into Postgres, off the request path,
 * on the kit's stream writer (batches, acknowledged only once written, entries of a writer that
 * died taken over): a batch is one statement (ON CONFLICT (id) DO NOTHING, so an entry written
 * twice stays one row), less the records of users erased meanwhile.
 */
export function createUsageWriter(options: UsageWriterOptions) {
  const { redis, logger, prefix } = options;

  const write = async (entries: StreamEntry[]) => {
    const rows: UsageRecord[] = [];
    for (const entry of entries) {
      try {
        rows.push(JSON.parse(entryField(entry, "usage") ?? "") as UsageRecord);
      } catch (error) {
        logger.error({ err: error, entryId: entry[0] }, "unreadable usage entry dropped");
      }
    }
    const kept = await withoutErasedUsers(rows);
    if (kept.length > 0) await insert(kept);
    logger.debug({ entries: entries.length, written: kept.length }, "usage records written");
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

  const writer = createStreamWriter({
    redis,
    logger,
    stream: usageStreamOf(prefix),
    group: GROUP,
    write,
    batchSize: options.batchSize,
    claimIdleMs: options.claimIdleMs,
    lingerMs: options.lingerMs,
  });
  return {
    /** Writes one record straight to Postgres: for a call settled while Redis is unreachable. */
    writeNow: (record: UsageRecord) => insert([record]),
    start: writer.start,
    /** Stops reading; a read in flight (at most a second) and a batch being written finish (and are acknowledged) first. */
    stop: writer.stop,
  };
}

export type UsageWriter = ReturnType<typeof createUsageWriter>;

/** Postgres refused the data itself (class 22, or a constraint of class 23): writing it again cannot succeed. */
function isRefusedData(error: unknown): boolean {
  return causedBy(error, ({ code }) => typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code));
}
