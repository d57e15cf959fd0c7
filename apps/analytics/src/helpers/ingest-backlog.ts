import { ApiError, type Redis } from "@lodge/kit";

/** Stream entries (ingest requests) accepted but not yet written to Postgres, over every ingest stream. */
export async function readBacklog(redis: Redis, streams: readonly string[]): Promise<number> {
  const lengths = await Promise.all(streams.map((stream) => redis.xlen(stream)));
  return lengths.reduce((sum, length) => sum + length, 0);
}

/** Seconds a refused client is told to wait: about what the writer needs to work a bound's worth off. */
const RETRY_AFTER_SECONDS = 1;

/** The ingest's answer while the backlog is at the bound (503 + Retry-After): the request's events are not queued. */
export const backlogFull = () =>
  new ApiError({ code: "UNAVAILABLE", message: "Too many events are waiting to be stored, try again shortly", retryAfter: RETRY_AFTER_SECONDS });

/**
 * The ingest's backpressure: the backlog as last read (every `checkMs`, in the background, so a
 * request makes no Redis round trip for it), full while it is at `max` or over (the ingest then
 * answers `backlogFull`). Bounds how far stored events lag behind and how much of Redis's memory the
 * stream takes when clients send faster than the writer stores; the stream itself is never
 * trimmed (its entries were acknowledged). Built once at boot into deps; `stop` on shutdown.
 */
export function watchIngestBacklog(options: { redis: Redis; streams: readonly string[]; max: number; checkMs: number; onError: (error: unknown) => void }) {
  const { redis, streams, max } = options;
  let backlog = 0;
  /** Reads the backlog now (the timer does it every `checkMs`; tests call it instead of waiting). */
  async function refresh(): Promise<number> {
    backlog = await readBacklog(redis, streams);
    return backlog;
  }
  const timer = setInterval(() => void refresh().catch(options.onError), options.checkMs);
  timer.unref();
  return {
    refresh,
    full: () => backlog >= max,
    stop: () => clearInterval(timer),
  };
}

export type IngestBacklog = ReturnType<typeof watchIngestBacklog>;
