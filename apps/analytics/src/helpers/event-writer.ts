import type { Db } from "@lodge/db";
import { createStreamWriter, entryField, isRejectedData, type Logger, type Redis, type StreamEntry } from "@lodge/kit";
import { insertEventsJson } from "./event-row";
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
 * Moves the ingest stream into `analytics.events` on the kit's stream writer: a batch of entries
 * is one statement in one transaction (the stream's JSON text passed to Postgres as it is), and
 * the entries are acknowledged only after the commit. An entry written twice (a writer that died
 * before acknowledging) stays one set of rows; events of a site deleted meanwhile are skipped.
 * Should Postgres refuse a batch's data, its entries are written one by one and the refused one
 * dropped (logged), so it cannot hold up the stream.
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

  const store = (json: string) => db.transaction((tx) => insertEventsJson(tx, json, { liveSitesOnly: true }));

  const write = async (entries: StreamEntry[]) => {
    const stopTimer = metrics.batchSeconds.startTimer();
    const texts = entries.map((entry) => entryField(entry, ROWS_FIELD) ?? "[]");
    let written = 0;
    try {
      written = await store(joinArrays(texts));
    } catch (error) {
      if (!isRejectedData(error)) throw error;
      for (const [index, text] of texts.entries()) {
        written += await store(joinArrays([text])).catch((entryError: unknown) => {
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
