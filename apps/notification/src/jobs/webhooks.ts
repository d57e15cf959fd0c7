import type { JobDefinition } from "@lodge/kit";
import type { NotificationDeps } from "../deps";
import type { WebhookJob } from "../helpers/webhooks";
import { deliverWebhook } from "../services/deliver-webhook";
import { pruneWebhookDeliveries } from "../services/prune-webhook-deliveries";

/** Webhook delivery attempts (retried by BullMQ with exponential backoff), and the hourly deletion of old delivery rows. */
export const webhookJobs = (deps: NotificationDeps): JobDefinition<NotificationDeps, WebhookJob | undefined>[] => [
  {
    queue: deps.webhooks.deliveries,
    concurrency: deps.webhooks.config.concurrency,
    process: async (job, ctx) => {
      const attempt = job.attemptsMade + 1;
      const input = { deliveryId: (job.data as WebhookJob).deliveryId, attempt, lastAttempt: attempt >= (job.opts.attempts ?? 1) };
      return deliverWebhook({ ctx, input });
    },
  },
  {
    queue: deps.webhooks.retention,
    every: { "prune-webhook-deliveries": 3600_000 },
    process: async (_job, ctx) => {
      const deleted = await pruneWebhookDeliveries({ ctx });
      if (deleted > 0) ctx.logger.info({ deleted }, "old webhook deliveries deleted");
    },
  },
];
