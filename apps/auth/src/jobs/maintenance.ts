import { createQueue } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { AuthDeps } from "../deps";
import { runMaintenance } from "../services/run-maintenance";

/** Hourly cleanup of expired tokens, sessions, audit entries and retired keys (one run at a time across instances). */
export const maintenanceJob = (deps: AuthDeps): JobDefinition<AuthDeps> => ({
  queue: createQueue("auth-maintenance", deps.jobsConnection),
  every: { hourly: 3600_000 },
  concurrency: 1,
  process: async (_job, ctx) => {
    const removed = await runMaintenance({ ctx });
    ctx.logger.info({ removed }, "maintenance done");
    return removed;
  },
});
