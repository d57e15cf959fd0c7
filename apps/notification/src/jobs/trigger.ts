import { createQueue, DelayedError, type JobsConnection } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { NotificationDeps, TriggerJob } from "../deps";
import { fireReminder } from "../services/fire-reminder";
import { fireScheduledSend } from "../services/fire-scheduled-send";
import { purgeSendRequests } from "../services/purge-send-requests";
import { sweepTriggers } from "../services/sweep-triggers";

export function createTriggerQueue(connection: JobsConnection) {
  return createQueue<TriggerJob>("notification-triggers", connection);
}

/**
 * Scheduled sends and reminder occurrences, each a delayed job whose delay the service's clock
 * gave; a job that runs before its row is due by that clock (a test's, or a clock that moved) goes
 * back to waiting for the rest. Two repeatable jobs: the sweep (lost jobs) and the purge of
 * idempotency keys older than 24 h.
 */
export const triggerJob = (deps: NotificationDeps): JobDefinition<NotificationDeps, TriggerJob> => ({
  queue: deps.triggers,
  every: { "sweep-triggers": deps.config.triggerSweepMs, "purge-idempotency-keys": 3600_000 },
  process: async (job, ctx) => {
    if (job.name === "sweep-triggers") return sweepTriggers({ ctx });
    if (job.name === "purge-idempotency-keys") return purgeSendRequests({ ctx });
    const outcome =
      "scheduledSendId" in job.data
        ? await fireScheduledSend({ ctx, input: { id: job.data.scheduledSendId } })
        : "reminderId" in job.data
          ? await fireReminder({ ctx, input: { id: job.data.reminderId, occurrence: job.data.occurrence } })
          : {};
    if (outcome.waitMs === undefined) return outcome;
    await job.moveToDelayed(Date.now() + outcome.waitMs, job.token);
    throw new DelayedError();
  },
});
