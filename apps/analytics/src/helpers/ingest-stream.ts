import type { Redis } from "@lodge/kit";
import { dirtyHours, type EventRow, eventCopyRow } from "./event-row";
import type { EncodedEvents } from "./web-event-rows";

/** The Redis stream accepted events wait in until the writer has committed them to Postgres. */
export const ingestStream = (prefix: string) => `${prefix}analytics:ingest:copy`;

/**
 * The stream events waited in before, as JSON (entries of one field, `rows`: a JSON array of
 * EventRow), still read so that a rollout loses none. The new form has a stream of its own because
 * a writer of that version, still running beside a new one during a rollout, would acknowledge an
 * entry without `rows` as empty.
 */
export const jsonIngestStream = (prefix: string) => `${prefix}analytics:ingest`;

/** Both: what the writer reads and what watches the backlog. */
export const ingestStreams = (prefix: string) => [ingestStream(prefix), jsonIngestStream(prefix)];

/**
 * A stream entry's fields: its events as rows of COPY's text format (`eventCopyRow`), handed to
 * COPY as they are (the writer reads them as bytes), and the rollup hours they mark dirty
 * (`dirtyHours`, comma-separated), so the writer never parses or decodes the events. `JSON_ROWS_FIELD`: the one field of an entry of `jsonIngestStream`.
 */
export const EVENTS_FIELD = "events";
export const HOURS_FIELD = "hours";
export const JSON_ROWS_FIELD = "rows";

/**
 * Queues a request's events for the writer (`webEventRows`); resolves once Redis has them (what a
 * 202 waits for). One entry per call, so a request's events are written (or re-delivered)
 * together. Sent as text: ioredis writes a command of strings with one encoding, while a Buffer
 * argument is copied twice more (into the command, then into the pipeline's write).
 */
export async function queueEvents(redis: Redis, prefix: string, { rows, hours }: EncodedEvents): Promise<void> {
  if (rows === "") return;
  await redis.xadd(ingestStream(prefix), "*", EVENTS_FIELD, rows, HOURS_FIELD, hours.join(","));
}

/** `queueEvents` for events as EventRow (how the tests queue rows of their own). */
export function queueEventRows(redis: Redis, prefix: string, rows: readonly EventRow[]): Promise<void> {
  return queueEvents(redis, prefix, { rows: rows.map(eventCopyRow).join(""), hours: dirtyHours(rows) });
}
