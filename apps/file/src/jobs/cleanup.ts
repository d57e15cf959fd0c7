import { createQueue, createWorker } from "@lodge/jobs";
import type { FileDeps } from "../deps";
import { expireUploads } from "../services/uploads";

const QUEUE = "file-upload-cleanup";

/** Removes abandoned resumable uploads (bytes and rows) past their expiry, every FILE_UPLOAD_CLEANUP_EVERY_SECONDS, one run at a time. */
export async function startUploadCleanup(deps: FileDeps, prefix: string) {
  const connection = { redis: deps.redis, prefix, logger: deps.logger, registry: deps.metrics.registry };
  const queue = createQueue(QUEUE, connection);
  await queue.upsertJobScheduler("expire-uploads", { every: deps.config.uploadCleanupEveryMs }, { name: "expire" });
  const worker = createWorker(
    QUEUE,
    async () => {
      const removed = await expireUploads({ ctx: { deps, logger: deps.logger } });
      if (removed > 0) deps.logger.info({ removed }, "expired uploads removed");
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
