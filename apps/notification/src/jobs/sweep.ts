import { createQueue } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { NotificationDeps } from "../deps";
import { releaseHeld } from "../services/release-held";

/** The delivery sweep (see releaseHeld), every NOTIFICATION_SWEEP_EVERY_SECONDS, one run at a time. */
export const sweepJob = (deps: NotificationDeps): JobDefinition<NotificationDeps> => ({
  queue: createQueue("notification-sweep", deps.jobsConnection),
  every: { "release-held": deps.config.sweepEveryMs },
  concurrency: 1,
  process: async (_job, ctx) => {
    const swept = await releaseHeld({ ctx });
    if (swept.released > 0 || swept.gathered > 0) ctx.logger.info(swept, "held deliveries released");
    return swept;
  },
});
