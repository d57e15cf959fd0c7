import { createQueue } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { AnalyticsDeps } from "../deps";
import { dropPartitionsBefore, ensurePartitions, monthStart } from "../helpers/partitions";

const EVERY_MS = 6 * 3600_000;

/**
 * A repeatable job every 6 hours, shared by every instance: creates the monthly partitions up to
 * ANALYTICS_PARTITIONS_AHEAD months ahead, and drops those older than the ANALYTICS_RETENTION_MONTHS
 * kept (the current month counts as one) with their rollups.
 */
export const partitionsJob = (deps: AnalyticsDeps): JobDefinition<AnalyticsDeps> => ({
  queue: createQueue("analytics-partitions", deps.jobsConnection),
  every: { partitions: EVERY_MS },
  concurrency: 1,
  process: async (_job, ctx) => {
    const { db, env, clock } = ctx.deps;
    const now = clock();
    await ensurePartitions(db, monthStart(now), monthStart(now, env.ANALYTICS_PARTITIONS_AHEAD));
    const dropped = await dropPartitionsBefore(db, monthStart(now, -(env.ANALYTICS_RETENTION_MONTHS - 1)));
    if (dropped.length > 0) ctx.logger.info({ dropped }, "old event partitions dropped (retention)");
    return { dropped };
  },
});
