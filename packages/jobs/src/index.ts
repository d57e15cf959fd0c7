import { type ConnectionOptions, type Job, type JobsOptions, Queue, type QueueOptions, Worker, type WorkerOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";

export type { Job };

/** Lodge defaults: retries with exponential backoff, and bounded retention of finished jobs. */
export const defaultJobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};

type Connection = { redis: Redis; prefix?: string };

/** BullMQ keys live under the same prefix as the rest of Lodge's Redis keys. */
function bullPrefix(prefix = "lodge:") {
  return `${prefix}bull`;
}

export function createQueue<Data = unknown>(name: string, connection: Connection, options: Partial<QueueOptions> = {}) {
  return new Queue<Data>(name, {
    // Options rather than a client: BullMQ closes the connections it opens itself, but leaves a client it is handed open.
    connection: { ...connection.redis.options } as ConnectionOptions,
    prefix: bullPrefix(connection.prefix),
    defaultJobOptions,
    ...options,
  });
}

/**
 * A worker whose processor is expected to be idempotent (a job can run again after a crash).
 * `close()` waits for the jobs in progress to finish.
 */
export function createWorker<Data = unknown>(
  name: string,
  processor: (job: Job<Data>) => Promise<unknown>,
  connection: Connection & { logger: Logger },
  options: Partial<WorkerOptions> = {},
) {
  const worker = new Worker<Data>(name, processor, {
    connection: { ...connection.redis.options, maxRetriesPerRequest: null } as ConnectionOptions,
    prefix: bullPrefix(connection.prefix),
    concurrency: 2,
    ...options,
  });
  worker.on("failed", (job, error) => connection.logger.warn({ queue: name, jobId: job?.id, attempt: job?.attemptsMade, err: error }, "job failed"));
  worker.on("error", (error) => connection.logger.warn({ queue: name, err: error }, "worker error"));
  return worker;
}

/** `queue_jobs{queue,state}`: waiting, active, delayed, failed and completed counts at scrape time. */
export function registerQueueMetrics(registry: Registry, queues: Queue[]) {
  new Gauge({
    name: "queue_jobs",
    help: "BullMQ jobs by queue and state",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of queues) {
        const counts = await queue.getJobCounts("waiting", "active", "delayed", "failed", "completed").catch(() => ({}) as Record<string, number>);
        for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
      }
    },
  });
}
