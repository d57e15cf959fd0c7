import type { JobDefinition } from "@lodge/kit";
import type { NotificationDeps } from "../deps";
import { pruneWebhookDeliveries } from "../services/prune-webhook-deliveries";

/** The hourly deletion of old webhook delivery rows (their bodies may carry user data). */
export const webhookRetentionJob = (deps: NotificationDeps): JobDefinition<NotificationDeps> => ({
  queue: deps.webhooks.retention,
  every: { "prune-webhook-deliveries": 3600_000 },
  process: async (_job, ctx) => {
    const deleted = await pruneWebhookDeliveries({ ctx });
    if (deleted > 0) ctx.logger.info({ deleted }, "old webhook deliveries deleted");
  },
});
