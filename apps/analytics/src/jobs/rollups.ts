import { createQueue } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { AnalyticsDeps } from "../deps";
import { rollUp } from "../helpers/rollups";

/** Marks recomputed per transaction, and transactions per pass (a backlog is worked off over several passes). */
const BATCH_HOURS = 200;
const MAX_BATCHES = 20;

/**
 * A repeatable job every ANALYTICS_ROLLUP_INTERVAL_MS, one at a time on one queue shared by every
 * instance: recomputes the rollups of the hours marked dirty since the last pass (see rollUp).
 */
export const rollupsJob = (deps: AnalyticsDeps): JobDefinition<AnalyticsDeps> => ({
  queue: createQueue("analytics-rollups", deps.jobsConnection),
  every: { "roll-up": deps.env.ANALYTICS_ROLLUP_INTERVAL_MS },
  concurrency: 1,
  process: async (_job, ctx) => {
    const stop = ctx.deps.rollupPassSeconds.startTimer();
    const result = await rollUp(ctx.deps.db, { batchHours: BATCH_HOURS, maxBatches: MAX_BATCHES });
    stop();
    if (result.recomputed > 0) ctx.logger.debug(result, "rollups recomputed");
    return result;
  },
});
