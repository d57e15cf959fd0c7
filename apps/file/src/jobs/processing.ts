import { createQueue, createWorker } from "@lodge/jobs";
import type { FileDeps } from "../deps";
import { processFile } from "../services/process-file";

const QUEUE = "file-processing";

/** Renders a new image's standard thumbnails and publishes `file.processed` (one job per file, retried with backoff). */
export function startProcessing(deps: FileDeps, prefix: string) {
  const connection = { redis: deps.redis, prefix, logger: deps.logger, registry: deps.metrics.registry };
  const queue = createQueue<{ fileId: string }>(QUEUE, connection);
  const worker = createWorker<{ fileId: string }>(
    QUEUE,
    async (job) => processFile({ ctx: { deps, logger: deps.logger.child({ job: job.id }) }, input: job.data }),
    connection,
    { concurrency: 1 },
  );
  return {
    queue,
    /** The file id is the job id: a file queued twice (an event delivered again) is processed once. */
    enqueue: async (fileId: string) => {
      await queue.add("thumbnails", { fileId }, { jobId: fileId });
    },
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}
