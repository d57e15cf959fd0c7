import { deliveries, notifications } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq } from "drizzle-orm";
import type { SendChannel } from "../catalog/index";
import type { Ctx } from "../deps";

/**
 * An admin's retry of a failed delivery: back to `pending` (its attempts kept) and queued again
 * under a new job id (the failed job may still be kept by BullMQ). Only a `failed` one: the status
 * changes in one conditional update, so two retries at once queue it once.
 */
export async function retryDelivery({ ctx, input }: { ctx: Ctx; input: { id: string } }) {
  const { db, deliveryQueues } = ctx.deps;
  const [current] = await db.select().from(deliveries).where(eq(deliveries.id, input.id));
  if (!current) throw new ApiError({ code: "NOT_FOUND", message: "No such delivery" });
  const queue = deliveryQueues[current.channel as SendChannel];
  if (!queue || current.status !== "failed")
    throw new ApiError({ code: "CONFLICT", message: `Only a failed delivery can be retried; this one is ${current.status}` });
  const [row] = await db
    .update(deliveries)
    .set({ status: "pending", reason: null })
    .where(and(eq(deliveries.id, input.id), eq(deliveries.status, "failed")))
    .returning();
  if (!row) throw new ApiError({ code: "CONFLICT", message: "The delivery was retried meanwhile" });
  await queue.add("send", { deliveryId: row.id, requestId: ctx.requestId }, { jobId: `${row.id}-retry-${row.attempts}` });
  const [notification] = await db
    .select({ userId: notifications.userId, type: notifications.type })
    .from(notifications)
    .where(eq(notifications.id, row.notificationId));
  return { delivery: row, userId: notification?.userId ?? "", type: notification?.type ?? "" };
}
