import { createQueue } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { FileDeps } from "../deps";
import { expireUploads } from "../services/expire-uploads";
import { sweepStorage } from "../services/sweep-storage";

/**
 * Two repeatable jobs on one queue, one run at a time: abandoned resumable uploads (bytes and rows)
 * past their expiry, every FILE_UPLOAD_CLEANUP_EVERY_SECONDS; and the storage sweep (objects no row
 * records, past FILE_STORAGE_SWEEP_GRACE_SECONDS), every FILE_STORAGE_SWEEP_EVERY_SECONDS.
 */
export const cleanupJob = (deps: FileDeps): JobDefinition<FileDeps> => ({
  queue: createQueue("file-upload-cleanup", deps.jobsConnection),
  every: { "expire-uploads": deps.config.uploadCleanupEveryMs, "sweep-storage": deps.config.storageSweepEveryMs },
  concurrency: 1,
  process: async (job, ctx) => {
    if (job.name === "sweep-storage") {
      const swept = await sweepStorage({ ctx });
      if (swept.removed > 0) ctx.logger.info(swept, "orphaned objects removed from storage");
      return swept;
    }
    const removed = await expireUploads({ ctx });
    if (removed > 0) ctx.logger.info({ removed }, "expired uploads removed");
    return { removed };
  },
});
