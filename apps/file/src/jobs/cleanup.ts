import { createQueue, createWorker } from "@lodge/jobs";
import type { FileDeps } from "../deps";
import { sweepStorage } from "../services/sweep-storage";
import { expireUploads } from "../services/uploads";

const QUEUE = "file-upload-cleanup";

/**
 * Two repeatable jobs on one queue, one run at a time: abandoned resumable uploads (bytes and rows)
 * past their expiry, every FILE_UPLOAD_CLEANUP_EVERY_SECONDS; and the storage sweep (objects no row
 * records, past FILE_STORAGE_SWEEP_GRACE_SECONDS), every FILE_STORAGE_SWEEP_EVERY_SECONDS.
 */
export async function startUploadCleanup(deps: FileDeps, prefix: string) {
  const connection = { redis: deps.redis, prefix, logger: deps.logger, registry: deps.metrics.registry };
  const queue = createQueue(QUEUE, connection);
  await queue.upsertJobScheduler("expire-uploads", { every: deps.config.uploadCleanupEveryMs }, { name: "expire" });
  await queue.upsertJobScheduler("sweep-storage", { every: deps.config.storageSweepEveryMs }, { name: "sweep" });
  const worker = createWorker(
    QUEUE,
    async (job) => {
      const ctx = { deps, logger: deps.logger.child({ job: job.name }) };
      if (job.name === "sweep") {
        const swept = await sweepStorage({ ctx });
        if (swept.removed > 0) ctx.logger.info(swept, "orphaned objects removed from storage");
        return swept;
      }
      const removed = await expireUploads({ ctx });
      if (removed > 0) ctx.logger.info({ removed }, "expired uploads removed");
      return { removed };
    },
    connection,
    { concurrency: 1 },
  );
  return {
    queue,
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}
