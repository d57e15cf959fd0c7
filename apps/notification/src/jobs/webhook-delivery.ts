import type { JobDefinition } from "@lodge/kit";
import type { NotificationDeps } from "../deps";
import type { WebhookJob } from "../helpers/webhooks";
import { deliverWebhook } from "../services/deliver-webhook";

/** Webhook delivery attempts (retried by BullMQ with exponential backoff). */
export const webhookDeliveryJob = (deps: NotificationDeps): JobDefinition<NotificationDeps, WebhookJob> => ({
  queue: deps.webhooks.deliveries,
  concurrency: deps.webhooks.config.concurrency,
  process: async (job, ctx) => {
    const attempt = job.attemptsMade + 1;
    const input = { deliveryId: job.data.deliveryId, attempt, lastAttempt: attempt >= (job.opts.attempts ?? 1) };
    return deliverWebhook({ ctx, input });
  },
});
