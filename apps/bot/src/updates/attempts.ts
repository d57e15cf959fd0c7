import { isPermanent, retryDelay } from "@lodge/events";
import { isRejectedData, type Logger } from "@lodge/kit";
import { BotError, GrammyError } from "grammy";
import type { Update } from "grammy/types";
import type { UpdateMetrics } from "./metrics";

/** A queued update as a worker holds it. */
export type QueuedUpdate = { id: string; update: Update; key: string; type: string; raw: string; receivedAt: Date };

export type RetryPolicy = {
  /** Attempts before an update is dead-lettered. */
  attempts: number;
  /** The first retry's delay; it doubles with each failure (with jitter) up to `capMs`. */
  baseMs: number;
  capMs: number;
};

/** Five attempts over about 15 s: rides out a blip of Postgres or the network, without holding a chat up for long. */
export const defaultRetry: RetryPolicy = { attempts: 5, baseMs: 1000, capMs: 8000 };

/**
 * Bad input, which no retry can fix: Telegram refusing a call for this update (400: a message
 * it will not take; 403: the chat blocked the bot), Postgres refusing its data (class 22: a chat id
 * out of range), or a handler's PermanentEventError. Anything else (a dependency down, a timeout)
 * is worth another attempt.
 */
export function isBadInput(error: unknown): boolean {
  const cause = error instanceof BotError ? error.error : error;
  if (cause instanceof GrammyError) return cause.error_code === 400 || cause.error_code === 403;
  return isPermanent(cause) || isRejectedData(cause);
}

export type AttemptContext = {
  handle: (update: Update, receivedAt: Date) => Promise<void>;
  logger: Logger;
  metrics: UpdateMetrics;
  retry: RetryPolicy;
  /** Waits `ms` on the service's clock; false when the worker must stop meanwhile (the update stays queued). */
  pause: (ms: number) => Promise<boolean>;
  deadLetter: (queued: QueuedUpdate, reason: string, attempts: number) => Promise<void>;
};

/**
 * Runs one update to an end: done, rejected as bad input, or dead-lettered after the policy's
 * attempts; "left" when the worker stopped during a backoff (the update stays queued for whoever
 * works its shard next).
 */
export async function attemptUpdate(queued: QueuedUpdate, context: AttemptContext): Promise<"done" | "left"> {
  const { metrics, retry } = context;
  const type = queued.type;
  const logger = context.logger.child({ updateId: queued.update.update_id, type, orderingKey: queued.key });
  const started = performance.now();
  const finish = (outcome: "ok" | "rejected" | "dead_lettered") => {
    metrics.processed.inc({ type, outcome });
    metrics.seconds.observe({ type }, (performance.now() - started) / 1000);
    return "done" as const;
  };
  for (let attempt = 1; ; attempt++) {
    try {
      await context.handle(queued.update, queued.receivedAt);
      logger.debug({ attempt }, "update processed");
      return finish("ok");
    } catch (thrown) {
      const error = thrown instanceof BotError ? thrown.error : thrown;
      if (isBadInput(thrown)) {
        logger.warn({ err: error }, "update rejected as bad input (not retried)");
        return finish("rejected");
      }
      if (attempt >= retry.attempts) {
        logger.error({ err: error, attempt }, "update failed for good: dead-lettered");
        await context.deadLetter(queued, (error as Error | null)?.message ?? String(error), attempt);
        return finish("dead_lettered");
      }
      const delayMs = retryDelay(attempt, retry.baseMs, retry.capMs);
      metrics.processed.inc({ type, outcome: "retried" });
      logger.warn({ err: error, attempt, retryInMs: delayMs }, "update failed, will retry");
      if (!(await context.pause(delayMs))) return "left";
    }
  }
}
