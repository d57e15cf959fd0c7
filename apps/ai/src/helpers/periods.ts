/** The periods limits count in, all in UTC on the service clock: the minute of RPM/TPM, the day and month of budgets. */

const MINUTE_MS = 60_000;

/** The minute window `now` falls in: its number (the Redis key's suffix) and the ms until it ends. */
export function minuteOf(now: Date) {
  const ms = now.getTime();
  return { window: Math.floor(ms / MINUTE_MS), resetMs: MINUTE_MS - (ms % MINUTE_MS) };
}

/** The UTC day (`2026-03-01`) and month (`2026-03`) of `now`, and when each ends. */
export function budgetPeriodsOf(now: Date) {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const date = now.getUTCDate();
  const day = now.toISOString().slice(0, 10);
  return {
    day: { id: day, endsAt: new Date(Date.UTC(year, month, date + 1)) },
    month: { id: day.slice(0, 7), endsAt: new Date(Date.UTC(year, month + 1, 1)) },
  };
}

/** A duration as OpenAI's x-ratelimit-reset-* headers write it (`20ms`, `1.5s`, `6m0s`). */
export function resetText(ms: number): string {
  const rounded = Math.max(0, Math.ceil(ms));
  if (rounded < 1000) return `${rounded}ms`;
  const minutes = Math.floor(rounded / MINUTE_MS);
  const seconds = Number(((rounded % MINUTE_MS) / 1000).toFixed(3));
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/** USD as whole nano-dollars: what Redis counts budgets in (integers add up exactly; usage rows keep 9 decimals). */
export const toNanoUsd = (usd: number) => Math.round(usd * 1e9);
export const fromNanoUsd = (nano: number) => nano / 1e9;
