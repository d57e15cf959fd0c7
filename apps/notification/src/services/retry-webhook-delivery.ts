import { webhookDeliveries } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { getWebhook } from "./get-webhook";

/**
 * Sends a delivery again now, with the same `webhook-id`. One still being retried has its waiting
 * attempt run at once; a sent or failed one is set pending and gets one more attempt.
 */
export async function retryWebhookDelivery({ ctx, input }: { ctx: Ctx; input: { id: string; deliveryId: string } }) {
  const { db, webhooks } = ctx.deps;
  const endpoint = await getWebhook({ ctx, input: { id: input.id } });
  const where = and(eq(webhookDeliveries.id, input.deliveryId), eq(webhookDeliveries.endpointId, input.id));
  const [delivery] = await db.select().from(webhookDeliveries).where(where);
  if (!delivery) throw new ApiError({ code: "NOT_FOUND", message: "no such delivery of this webhook endpoint" });
  if (!endpoint.enabled) throw new ApiError({ code: "CONFLICT", message: "the endpoint is disabled: enable it first" });
  if (delivery.status === "pending") {
    const scheduled = await webhooks.deliveries.getJob(delivery.id);
    if (scheduled && (await scheduled.isDelayed())) await scheduled.promote();
    return delivery;
  }
  const [reopened] = await db.update(webhookDeliveries).set({ status: "pending", nextAttemptAt: null }).where(where).returning();
  await webhooks.deliveries.add(
    "deliver",
    { deliveryId: delivery.id, requestId: ctx.requestId },
    { jobId: `${delivery.id}-${delivery.attempts}`, attempts: 1 },
  );
  ctx.logger.info({ webhookId: input.id, deliveryId: delivery.id }, "webhook delivery retried by hand");
  return reopened ?? delivery;
}
