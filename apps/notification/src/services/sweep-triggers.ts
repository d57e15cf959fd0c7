import { reminders, scheduledSends } from "@lodge/db/schema";
import { and, eq, lte } from "drizzle-orm";
import type { Ctx } from "../deps";
import { queueReminder, queueScheduledSend } from "../helpers/triggers";
import { fireReminder } from "./fire-reminder";
import { fireScheduledSend } from "./fire-scheduled-send";

/** Rows looked at per sweep and kind: a backlog larger than this drains over several sweeps. */
const SWEEP_BATCH = 500;

/**
 * The rows are the truth, jobs only their triggers: a job lost (Redis restored from an older
 * snapshot, a crash between commit and queueing, retries used up while Postgres was down) would
 * leave a send or reminder silent. Every sweep fires what is due and re-adds the jobs of what comes
 * due before the next sweep (adding an existing job id changes nothing). Firing is idempotent, so
 * racing a job that runs at the same moment makes nothing twice.
 */
export async function sweepTriggers({ ctx }: { ctx: Ctx }) {
  const { db, clock, config } = ctx.deps;
  const now = clock();
  const horizon = new Date(now.getTime() + 2 * config.triggerSweepMs);
  const sends = await db
    .select({ id: scheduledSends.id, sendAt: scheduledSends.sendAt })
    .from(scheduledSends)
    .where(and(eq(scheduledSends.status, "scheduled"), lte(scheduledSends.sendAt, horizon)))
    .orderBy(scheduledSends.sendAt)
    .limit(SWEEP_BATCH);
  const due = await db
    .select({ id: reminders.id, nextAt: reminders.nextAt })
    .from(reminders)
    .where(lte(reminders.nextAt, horizon))
    .orderBy(reminders.nextAt)
    .limit(SWEEP_BATCH);
  let fired = 0;
  for (const send of sends) {
    if (send.sendAt <= now) fired += (await fireScheduledSend({ ctx, input: { id: send.id } })).sent ? 1 : 0;
    else await queueScheduledSend(ctx, send.id, send.sendAt);
  }
  for (const reminder of due) {
    if (reminder.nextAt <= now) fired += (await fireReminder({ ctx, input: { id: reminder.id, occurrence: reminder.nextAt.toISOString() } })).fired ? 1 : 0;
    else await queueReminder(ctx, reminder.id, reminder.nextAt);
  }
  if (fired > 0) ctx.logger.info({ fired }, "the sweep fired due sends and reminders (their jobs were late or lost)");
  return { fired };
}
