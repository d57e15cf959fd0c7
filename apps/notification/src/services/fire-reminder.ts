import { reminders } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Channel } from "../catalog/index";
import { reminder as reminderType } from "../catalog/reminders";
import type { Ctx } from "../deps";
import { queueDeliveries } from "../helpers/queue-deliveries";
import { occurrenceAfter } from "../helpers/reminder-schedule";
import { queueReminder } from "../helpers/triggers";
import { announceCreated } from "../realtime/announce";
import { insertNotifications } from "./insert-notifications";

/**
 * Fires one occurrence of a reminder once it is due by the service's clock (else says how long to
 * wait): one notification (source key `reminder:<id>:<occurrence>`, so a retried job makes one),
 * then the next occurrence (occurrences missed while the service was down are skipped, not
 * fired in a burst) or, for a one-off or an ended rule, the reminder is gone. A job for an
 * occurrence the reminder has moved past does nothing.
 */
export async function fireReminder({ ctx, input }: { ctx: Ctx; input: { id: string; occurrence: string } }): Promise<{ waitMs?: number; fired?: boolean }> {
  const { db, clock } = ctx.deps;
  const now = clock();
  const fired = await db.transaction(async (tx) => {
    const [row] = await tx.select().from(reminders).where(eq(reminders.id, input.id)).for("update");
    if (!row || row.nextAt.toISOString() !== input.occurrence) return {};
    if (row.nextAt.getTime() > now.getTime()) return { waitMs: row.nextAt.getTime() - now.getTime() };
    const { ids, pending } = await insertNotifications(
      ctx,
      {
        type: reminderType,
        data: reminderType.data.parse({ text: row.text, at: input.occurrence }),
        userIds: [row.userId],
        ...(row.channels ? { channels: row.channels as Channel[] } : {}),
        sourceKey: () => `reminder:${row.id}:${input.occurrence}`,
        now,
      },
      tx,
    );
    const next = occurrenceAfter(row, new Date(Math.max(now.getTime(), row.nextAt.getTime())));
    if (next) await tx.update(reminders).set({ nextAt: next }).where(eq(reminders.id, row.id));
    else await tx.delete(reminders).where(eq(reminders.id, row.id));
    return { ids, pending, next };
  });
  if (!fired.ids) return fired;
  await queueDeliveries(ctx, fired.pending);
  await announceCreated(ctx, fired.ids);
  if (fired.next) await queueReminder(ctx, input.id, fired.next);
  return { fired: true };
}
