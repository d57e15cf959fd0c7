import { type CopyingTransactions, copyingTransactions, type Db } from "@lodge/db";
import { createStreamWriter, entryField, isRejectedData, type Logger, type Redis, type StreamEntry } from "@lodge/kit";
import { COPY_STAGED_EVENTS, createStagingTable, eventCopyRows, insertEventsJson, insertStagedEvents } from "./event-row";
import type { IngestMetrics } from "./ingest-metrics";
import { ingestStream, ROWS_FIELD } from "./ingest-stream";

/** The consumer group of every instance's writer. */
export const INGEST_GROUP = "analytics-writer";

/** The JSON arrays of several entries as one, without parsing them: `[a,b]` and `[c]` → `[a,b,c]`. */
function joinArrays(texts: string[]): string {
  const parts: string[] = [];
  for (const text of texts) {
    const inner = text.trim().slice(1, -1);
    if (inner.trim()) parts.push(inner);
  }
  return `[${parts.join(",")}]`;
}

/**
 * Stores the JSON texts of a batch's entries in one transaction and returns how many rows were
 * new: with `copying` (Postgres), COPYed into a staging table, then moved into `analytics.events`
 * by one statement; without (PGlite), one statement reading the entries' JSON as it is.
 */
export function createEventStore(db: Db, copying: CopyingTransactions | undefined): (texts: string[]) => Promise<number> {
  if (!copying) return (texts) => db.transaction((tx) => insertEventsJson(tx, joinArrays(texts), { liveSitesOnly: true }));
  return async (texts) => {
    // Built before the transaction opens, so a refused entry costs no round trip.
    const data = texts.map(eventCopyRows).join("");
    return copying(async ({ tx, copy }) => {
      await createStagingTable(tx);
      await copy(COPY_STAGED_EVENTS, data);
      return insertStagedEvents(tx, { liveSitesOnly: true });
    });
  };
}

/**
 * Moves the ingest stream into `analytics.events` on the kit's stream writer: a batch of entries
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
}) {
  const { db, logger, metrics } = options;

  // The driver's capability, asked once: COPY where it can.
  const store = createEventStore(db, copyingTransactions(db));

  const write = async (entries: StreamEntry[]) => {
    const stopTimer = metrics.batchSeconds.startTimer();
    const texts = entries.map((entry) => entryField(entry, ROWS_FIELD) ?? "[]");
    let written = 0;
    try {
      written = await store(texts);
    } catch (error) {
      if (!isRejectedData(error)) throw error;
      for (const [index, text] of texts.entries()) {
        written += await store([text]).catch((entryError: unknown) => {
          if (!isRejectedData(entryError)) throw entryError;
          logger.error({ err: entryError, entryId: entries[index]?.[0] }, "ingest entry refused by Postgres, dropped");
          return 0;
        });
      }
    }
    stopTimer();
    metrics.written.inc(written);
  };

  return createStreamWriter({
    redis: options.redis,
    logger,
    stream: ingestStream(options.prefix),
    group: INGEST_GROUP,
    write,
    batchSize: options.batchSize,
    lingerMs: options.lingerMs,
    claimIdleMs: options.claimIdleMs,
  });
}
