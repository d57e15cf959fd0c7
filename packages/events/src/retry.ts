/**
 * Thrown by a handler for an event that can never succeed however often it is retried (it names
 * something that does not exist and never will, say): the event goes to the dead-letter stream at
 * once. Any other error is taken as transient and retried with backoff until the handler succeeds.
 */
export class PermanentEventError extends Error {
  override name = "PermanentEventError";
  readonly permanent = true;
}

export function isPermanent(error: unknown): boolean {
  return error instanceof PermanentEventError || (error as { permanent?: unknown } | null)?.permanent === true;
}

/**
 * Capped exponential backoff with "equal jitter": half of the delay is fixed, half random, so
 * consumers that failed together (an outage) do not retry in lockstep, and no wait exceeds the cap.
 */
export function retryDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** What the bus keeps about an event waiting for its next attempt. */
export type RetryInfo = { attempt: number; since: number; error: string };

export function errorMessage(error: unknown): string {
  return (error as Error | null)?.message ?? String(error);
}
