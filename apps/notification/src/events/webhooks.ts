import { type Envelope, eventTypes } from "@lodge/events";
import type { Consumers, Ctx } from "@lodge/kit";
import type { NotificationDeps } from "../deps";
import { queueWebhookDeliveries } from "../services/queue-webhook-deliveries";

type Handler = (event: Envelope, ctx: Ctx<NotificationDeps>) => Promise<void> | void;

/**
 * The service's consumers with every catalog event type also queued to the webhooks subscribed to it
 * (one consumer group, so each event is handled once per instance set). Both parts are idempotent
 * on the event id, so a retry after either fails repeats neither.
 */
export function withWebhooks(consumers: Consumers<NotificationDeps>): Consumers<NotificationDeps> {
  return Object.fromEntries(
    eventTypes.map((type) => {
      const handle = consumers[type] as Handler | undefined;
      const both: Handler = async (event, ctx) => {
        // The service's own handling first: a webhook problem must not hold up a reset email.
        await handle?.(event, ctx);
        await queueWebhookDeliveries({ ctx, input: event });
      };
      return [type, both];
    }),
  );
}
