import { createQueue, createWorker } from "@lodge/jobs";
import type { AuthDeps } from "../deps";
import { runMaintenance } from "../services/run-maintenance";

const QUEUE = "auth-maintenance";

/** Hourly cleanup of expired tokens, sessions, audit entries and retired keys (one run at a time across instances). */
export async function startMaintenanceWorker(deps: AuthDeps, prefix: string) {
  const connection = { redis: deps.redis, prefix, logger: deps.logger, registry: deps.metrics.registry };
  const queue = createQueue(QUEUE, connection);
  await queue.upsertJobScheduler("hourly", { every: 3600_000 }, { name: "cleanup" });
  const worker = createWorker(
    QUEUE,
    async () => {
      const removed = await runMaintenance({ ctx: { deps, logger: deps.logger } });
      deps.logger.info({ removed }, "maintenance done");
      return removed;
    },
    connection,
    { concurrency: 1 },
  );
  return { queue, close: async () => Promise.all([worker.close(), queue.close()]) };
}
