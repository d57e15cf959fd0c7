import { createQueue, type JobsConnection } from "@lodge/jobs";
import type { JobDefinition } from "@lodge/kit";
import type { FileDeps } from "../deps";
import { processFile } from "../services/process-file";

export function createProcessingQueue(connection: JobsConnection) {
  return createQueue<{ fileId: string }>("file-processing", connection);
}

/** Renders a new image's standard thumbnails and publishes `file.processed` (one job per file, retried with backoff). */
export const processingJob = (queue: NonNullable<FileDeps["processing"]>): JobDefinition<FileDeps, { fileId: string }> => ({
  queue,
  concurrency: 1,
  process: (job, ctx) => processFile({ ctx, input: job.data }),
});
