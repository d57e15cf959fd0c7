import type { Redis } from "@lodge/kit";
import type { EventRow } from "./event-row";

/** The Redis stream accepted events wait in until the writer has committed them to Postgres. */
export const ingestStream = (prefix: string) => `${prefix}analytics:ingest`;

/** The one field of a stream entry: a JSON array of EventRow. */
export const ROWS_FIELD = "rows";

/**
 * Queues events for the writer; resolves once Redis has them (what a 202 waits for). One entry per
 * call, so a request's events are written (or re-delivered) together.
 */
export async function queueEventRows(redis: Redis, prefix: string, rows: readonly EventRow[]): Promise<void> {
  if (rows.length > 0) await redis.xadd(ingestStream(prefix), "*", ROWS_FIELD, JSON.stringify(rows));
}
