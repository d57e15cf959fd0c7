import { z } from "@hono/zod-openapi";
import { webhookDeliveries, type webhookEndpoints } from "@lodge/db/schema";
import { safeText } from "@lodge/kit";
import { webhookEventTypes } from "../../helpers/webhooks";

const uuidParam = (name: string) => z.uuid().openapi({ param: { name, in: "path" }, example: "01964d2c-8f2a-7c3e-9d1b-2a4f6e8c0b13" });
export const WebhookId = z.object({ id: uuidParam("id") });
export const DeliveryParams = z.object({ id: uuidParam("id"), deliveryId: uuidParam("deliveryId") });

export const WebhookUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .openapi({ description: "http(s); private, loopback and link-local targets are refused unless listed in WEBHOOK_ALLOWED_HOSTS" });
export const EventTypes = z
  .array(z.enum(webhookEventTypes))
  .min(1)
  .max(webhookEventTypes.length)
  .openapi({ description: "Catalog event types to deliver, or `*` for all" });
export const Description = safeText({ max: 500, refuse: "format", trim: "first" });

export const Webhook = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(z.string()),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().openapi({ description: "`failing`: disabled by the service after failing for WEBHOOK_DISABLE_AFTER_DAYS" }),
    failingSince: z.string().nullable().openapi({ description: "When deliveries started failing without a success since" }),
    previousSecretExpiresAt: z.string().nullable().openapi({ description: "Until when the previous secret also signs (after a rotation)" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Webhook");

export const WithSecret = z
  .object({ webhook: Webhook, secret: z.string().openapi({ description: "The signing secret (`whsec_...`): shown this once" }) })
  .openapi("WebhookWithSecret");

export const WebhookDelivery = z
  .object({
    id: z.uuid(),
    eventId: z.uuid().openapi({ description: "The `webhook-id` header" }),
    eventType: z.string(),
    status: z.enum(webhookDeliveries.status.enumValues),
    attempts: z.number().int(),
    responseStatus: z.number().int().nullable(),
    responseBody: z.string().nullable().openapi({ description: "The start of the answer (WEBHOOK_RESPONSE_MAX_BYTES at most)" }),
    durationMs: z.number().int().nullable(),
    error: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("WebhookDelivery");

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** An endpoint as admins see it: never its secrets. */
export function webhookView(endpoint: typeof webhookEndpoints.$inferSelect, now: Date): z.infer<typeof Webhook> {
  const rotating = endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now;
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    eventTypes: endpoint.eventTypes,
    enabled: endpoint.enabled,
    disabledReason: endpoint.disabledReason,
    failingSince: iso(endpoint.failingSince),
    previousSecretExpiresAt: rotating ? iso(endpoint.previousSecretExpiresAt) : null,
    createdAt: endpoint.createdAt.toISOString(),
    updatedAt: endpoint.updatedAt.toISOString(),
  };
}

/** A delivery as its log shows it (not its body). */
export function deliveryView(delivery: typeof webhookDeliveries.$inferSelect): z.infer<typeof WebhookDelivery> {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    responseStatus: delivery.responseStatus,
    responseBody: delivery.responseBody,
    durationMs: delivery.durationMs,
    error: delivery.error,
    lastAttemptAt: iso(delivery.lastAttemptAt),
    nextAttemptAt: iso(delivery.nextAttemptAt),
    createdAt: delivery.createdAt.toISOString(),
  };
}
