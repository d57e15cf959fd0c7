import type { Ctx } from "../deps";

/** How far in the past a requested time may be (clocks differ a little) before it is refused. */
const PAST_SKEW_MS = 60_000;
/** How far ahead a send or reminder may be scheduled. */
const MAX_AHEAD_MS = 366 * 24 * 3600_000;

/** Why `at` cannot be scheduled at `now`, or undefined when it can. */
export function unschedulable(at: Date, now: Date): string | undefined {
  if (at.getTime() < now.getTime() - PAST_SKEW_MS) return "is in the past";
  if (at.getTime() > now.getTime() + MAX_AHEAD_MS) return "is more than a year ahead";
  return undefined;
}

/** The delayed job firing a scheduled send; one per send (its id), so the sweep adding it again changes nothing. */
export function queueScheduledSend(ctx: Ctx, id: string, sendAt: Date) {
  const delay = Math.max(0, sendAt.getTime() - ctx.deps.clock().getTime());
  return ctx.deps.triggers.add("scheduled-send", { scheduledSendId: id }, { jobId: `send-${id}`, delay });
}

/** The delayed job firing one occurrence of a reminder; one per occurrence. */
export function queueReminder(ctx: Ctx, id: string, occurrence: Date) {
  const delay = Math.max(0, occurrence.getTime() - ctx.deps.clock().getTime());
  return ctx.deps.triggers.add(
    "reminder",
    { reminderId: id, occurrence: occurrence.toISOString() },
    { jobId: `reminder-${id}-${occurrence.getTime()}`, delay },
  );
}

/** Who asked, as stored with what they scheduled or sent: `client:<id>` or `user:<id>`. */
export function callerOf(ctx: Ctx): string {
  const principal = ctx.principal;
  if (!principal) throw new Error("no principal on a guarded route");
  return principal.kind === "client" ? `client:${principal.clientId}` : `user:${principal.userId}`;
}
