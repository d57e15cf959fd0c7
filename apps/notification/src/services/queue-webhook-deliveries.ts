import { webhookDeliveries, webhookEndpoints } from "@lodge/db/schema";
import type { Envelope } from "@lodge/events";
import { and, arrayOverlaps, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { webhookPayload } from "../helpers/webhooks";

/**
 * Records one delivery per enabled endpoint subscribed to the event's type, and queues each (job id =
 * delivery id). A redelivered event adds no rows, and queues again only deliveries never attempted
 * (a crash between the insert and the queue), which BullMQ keeps from being queued twice.
 */
export async function queueWebhookDeliveries({ ctx, input: event }: { ctx: Ctx; input: Envelope }) {
  const { db, webhooks } = ctx.deps;
  const endpoints = await db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.enabled, true), arrayOverlaps(webhookEndpoints.eventTypes, [event.type, "*"])));
  if (endpoints.length === 0) return;
  const payload = webhookPayload(event);
  const inserted = await db
    .insert(webhookDeliveries)
    .values(endpoints.map((endpoint) => ({ endpointId: endpoint.id, eventId: event.id, eventType: event.type, payload, createdAt: ctx.deps.clock() })))
    .onConflictDoNothing()
    .returning({ id: webhookDeliveries.id });
  // A redelivered event: its rows exist; queue again the ones never attempted.
  const fresh =
    inserted.length === endpoints.length
      ? inserted
      : await db
          .select({ id: webhookDeliveries.id })
          .from(webhookDeliveries)
          .where(and(eq(webhookDeliveries.eventId, event.id), eq(webhookDeliveries.status, "pending"), eq(webhookDeliveries.attempts, 0)));
  await webhooks.deliveries.addBulk(
    fresh.map((delivery) => ({ name: "deliver", data: { deliveryId: delivery.id, requestId: event.requestId }, opts: { jobId: delivery.id } })),
  );
}
