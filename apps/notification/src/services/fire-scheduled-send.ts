import { notifications, scheduledSends } from "@lodge/db/schema";
import { eq, inArray } from "drizzle-orm";
import { type Channel, typeNamed } from "../catalog/index";
import type { Ctx } from "../deps";
import { queueDeliveries, queuePendingOf } from "../helpers/queue-deliveries";
import { announceCreated } from "../realtime/announce";
import { insertNotifications } from "./insert-notifications";

/**
 * Sends a scheduled send once it is due by the service's clock (else says how long to wait). The
 * row is locked while its notifications are made and it is marked sent, so a cancellation waits
 * and then finds it sent; each recipient's source key (`scheduled:<id>:<userId>`) makes a retried
 * job (or the sweep running beside it) make no second notification, only queue what is pending.
 */
export async function fireScheduledSend({ ctx, input }: { ctx: Ctx; input: { id: string } }): Promise<{ waitMs?: number; sent?: number }> {
  const { db, clock } = ctx.deps;
  const now = clock();
  const fired = await db.transaction(async (tx) => {
    const [row] = await tx.select().from(scheduledSends).where(eq(scheduledSends.id, input.id)).for("update");
    if (!row || row.status === "cancelled") return {};
    if (row.sendAt.getTime() > now.getTime()) return { waitMs: row.sendAt.getTime() - now.getTime() };
    const sourceKey = (userId: string) => `scheduled:${row.id}:${userId}`;
    if (row.status === "sent") {
      // Sent already (a job retried after its commit): only what is still pending is queued; a
      // notification its owner deleted since is not made again.
      const made = await tx
        .select({ id: notifications.id })
        .from(notifications)
        .where(inArray(notifications.sourceKey, row.userIds.map(sourceKey)));
      return { ids: made.map((notification) => notification.id) };
    }
    const channels = row.channels ? { channels: row.channels as Channel[] } : {};
    const type = typeNamed(row.type);
    const { ids, pending } = await insertNotifications(
      ctx,
      {
        type,
        data: type.data.parse(row.data),
        userIds: row.userIds,
        ...channels,
        sourceKey,
        now,
      },
      tx,
    );
    await tx.update(scheduledSends).set({ status: "sent", sentAt: now }).where(eq(scheduledSends.id, row.id));
    return { ids, pending };
  });
  if (!fired.ids) return fired;
  await (fired.pending ? queueDeliveries(ctx, fired.pending) : queuePendingOf(ctx, fired.ids));
  await announceCreated(ctx, fired.ids);
  return { sent: fired.ids.length };
}
