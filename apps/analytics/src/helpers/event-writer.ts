import { type CopyingTransactions, copyingTransactions, type Db } from "@lodge/db";
import { causedBy, createStreamWriter, entryField, isRejectedData, type Logger, type Redis, type StreamEntry, type StreamWriter } from "@lodge/kit";
import {
  createStagingTable,
  dirtyHours,
  EVENTS_COPY_TARGET,
  eventCopyRow,
  insertStagedEvents,
  markCopiedEvents,
  parseEventRows,
  STAGED_COPY_TARGET,
} from "./event-row";
import type { IngestMetrics } from "./ingest-metrics";
import { EVENTS_FIELD, HOURS_FIELD, ingestStreams, JSON_ROWS_FIELD } from "./ingest-stream";

/** The consumer group of every instance's writer. */
export const INGEST_GROUP = "analytics-writer";

/** A stream entry's events as COPY rows (UTF-8), and the rollup hours they mark dirty (`dirtyHours`). */
export type QueuedEvents = { rows: Buffer; hours: string[] };

/** An entry's events: as queued (COPY rows, as read), or from the JSON of an entry queued before that form. */
export function queuedEvents(entry: StreamEntry<Buffer>): QueuedEvents {
  const rows = entryField(entry, EVENTS_FIELD);
  if (rows !== undefined)
    return {
      rows,
      hours: String(entryField(entry, HOURS_FIELD) ?? "")
        .split(",")
        .filter(Boolean),
    };
  const parsed = parseEventRows(String(entryField(entry, JSON_ROWS_FIELD) ?? "[]"));
  return { rows: Buffer.from(parsed.map(eventCopyRow).join("")), hours: dirtyHours(parsed) };
}

const NEWLINE = 0x0a;

/** Rows in COPY data: one newline each (a newline inside a value is escaped). */
function rowCount(data: Buffer): number {
  let count = 0;
  for (let at = data.indexOf(NEWLINE); at !== -1; at = data.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

/** Thrown to roll back a direct COPY whose batch has events of a site deleted meanwhile. */
class SiteGone extends Error {}

/**
 * Stores a batch's events in one transaction and returns how many rows were new. Usually COPYed
 * straight into `analytics.events`, then their sites locked and checked and their hours marked
 * dirty (one statement). Should that meet an event already stored (an entry delivered again after
 * a writer died before acknowledging it: a unique violation) or a site deleted meanwhile, it is
 * rolled back and the batch stored the careful way: COPYed into a staging table and moved by one
 * `insert … select … on conflict do nothing` that skips those (and marks only what it stored).
 */
export function createEventStore(db: Db): (batch: QueuedEvents[]) => Promise<number> {
  const copying: CopyingTransactions = copyingTransactions(db);
  return async (batch) => {
    // Each entry's rows as a piece of its own: COPY takes them as they are, no batch-sized copy.
    const data = batch.map(({ rows }) => rows);
    const hours = [...new Set(batch.flatMap((events) => events.hours))];
    try {
      return await copying(async ({ tx, copy }) => {
        await copy(EVENTS_COPY_TARGET, data);
        if (!(await markCopiedEvents(tx, hours))) throw new SiteGone();
        return data.reduce((sum, rows) => sum + rowCount(rows), 0);
      });
    } catch (error) {
      if (!(error instanceof SiteGone || causedBy(error, ({ code }) => code === "23505"))) throw error;
      return copying(async ({ tx, copy }) => {
        await createStagingTable(tx);
        await copy(STAGED_COPY_TARGET, data);
        return insertStagedEvents(tx, { liveSitesOnly: true });
      });
    }
  };
}

/**
 * Moves the ingest stream into `analytics.events` on the kit's stream writer (and the JSON stream
 * of the version before, on a second one, idle once drained): a batch of entries
 * is stored in one transaction (createEventStore), and the entries are acknowledged only after
 * the commit. An entry written twice (a writer that died before acknowledging) stays one set of
 * rows; events of a site deleted meanwhile are skipped. Should Postgres refuse a batch's data, its
 * entries are written one by one and the refused one dropped (logged), so it cannot hold up the
 * stream.
 */
export function createEventWriter(options: {
  db: Db;
  redis: Redis;
  logger: Logger;
  prefix: string;
  metrics: IngestMetrics;
  batchSize: number;
  lingerMs: number;
  claimIdleMs: number;
}): StreamWriter {
  const { logger, metrics } = options;
  const store = createEventStore(options.db);

  const write = async (entries: StreamEntry<Buffer>[]) => {
    const stopTimer = metrics.batchSeconds.startTimer();
    let written = 0;
    try {
      written = await store(entries.map(queuedEvents));
    } catch (error) {
      if (!isRejectedData(error)) throw error;
      for (const entry of entries) {
        try {
          written += await store([queuedEvents(entry)]);
        } catch (entryError) {
          if (!isRejectedData(entryError)) throw entryError;
          logger.error({ err: entryError, entryId: entry[0] }, "ingest entry refused by Postgres, dropped");
        }
      }
    }
    stopTimer();
    metrics.written.inc(written);
  };

  const writers = ingestStreams(options.prefix).map((stream) =>
    createStreamWriter<Buffer>({
      redis: options.redis,
      buffers: true,
      logger,
      stream,
      group: INGEST_GROUP,
      write,
      batchSize: options.batchSize,
      lingerMs: options.lingerMs,
      claimIdleMs: options.claimIdleMs,
    }),
  );
  return {
    start: () => {
      for (const writer of writers) writer.start();
    },
    stop: async () => void (await Promise.all(writers.map((writer) => writer.stop()))),
  };
}
