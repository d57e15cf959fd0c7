import type { EventEmitter } from "node:events";
import { type ConnectionOptions, type Job, type JobsOptions, Queue, type QueueOptions, Worker, type WorkerOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";

/** Thrown by a processor that moved its job back to delayed (job.moveToDelayed), so BullMQ neither completes nor fails it. */
export { DelayedError } from "bullmq";
export type { Job, Queue };

/** Lodge defaults: retries with exponential backoff, and bounded retention of finished jobs. */
export const defaultJobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};

/**
 * Where a queue or worker connects (BullMQ opens its own connections with `redis`'s options), and
 * where it reports: errors are logged through `logger` and counted in `registry` when given.
 */
export type JobsConnection = { redis: Redis; prefix?: string; logger: Logger; registry?: Registry };

/** BullMQ keys live under the same prefix as the rest of Lodge's Redis keys. */
function bullPrefix(prefix = "lodge:") {
  return `${prefix}bull`;
}

/**
 * BullMQ's queue, whose close does not fail on a Redis it cannot reach: QUIT cannot be sent then,
 * and the client would go on reconnecting (unheard, its listeners removed) for good. It is
 * disconnected instead; nothing is lost, a queue only adds jobs.
 */
class LodgeQueue<Data> extends Queue<Data> {
  override async close() {
    try {
      await super.close();
    } catch (error) {
      const client = await this.getBackend().client;
      if (client.status === "ready") throw error;
      client.disconnect();
    }
  }
}

export function createQueue<Data = unknown>(name: string, connection: JobsConnection, options: Partial<QueueOptions> = {}) {
  const queue = new LodgeQueue<Data>(name, {
    // Options rather than a client: BullMQ closes the connections it opens itself, but leaves a client it is handed open.
    connection: { ...connection.redis.options } as ConnectionOptions,
    prefix: bullPrefix(connection.prefix),
    defaultJobOptions,
    ...options,
  });
  reportErrors(queue, "queue", connection);
  return queue as Queue<Data>;
}

/**
 * BullMQ's worker, whose close does not wait on a Redis it cannot reach: a graceful close waits
 * for its blocking connection to end, which ioredis never reports while it is reconnecting, and a
 * job in progress could not record its outcome anyway. Such a close is forced: the jobs in
 * progress stay active in Redis and the stalled-job check runs them again after the next start.
 */
class LodgeWorker<Data> extends Worker<Data> {
  /** Whether Redis was unreachable when last heard from (set by reportErrors). */
  redisDown = () => false;
  override close(force = false) {
    return super.close(force || this.redisDown());
  }
}

/**
 * A worker whose processor is expected to be idempotent (a job can run again after a crash); it
 * gets a child logger naming the queue and job (and the job's `requestId`, when its data has one).
 * `close()` waits for the jobs in progress to finish, unless Redis is unreachable (see LodgeWorker).
 */
export function createWorker<Data = unknown>(
  name: string,
  processor: (job: Job<Data>, run: { logger: Logger }) => Promise<unknown>,
  connection: JobsConnection,
  options: Partial<WorkerOptions> = {},
) {
  const withLogger = (job: Job<Data>) =>
    processor(job, { logger: connection.logger.child({ queue: name, jobId: job.id, job: job.name, requestId: requestIdOf(job.data) }) });
  const worker = new LodgeWorker<Data>(name, withLogger, {
    connection: { ...connection.redis.options, maxRetriesPerRequest: null } as ConnectionOptions,
    prefix: bullPrefix(connection.prefix),
    concurrency: 2,
    ...options,
  });
  worker.on("failed", (job, error) => connection.logger.warn({ queue: name, jobId: job?.id, attempt: job?.attemptsMade, err: error }, "job failed"));
  worker.redisDown = reportErrors(worker, "worker", connection);
  return worker as Worker<Data>;
}

function requestIdOf(data: unknown): string | undefined {
  const requestId = (data as { requestId?: unknown } | null)?.requestId;
  return typeof requestId === "string" ? requestId : undefined;
}

/** ECONNREFUSED and its kin: Redis unreachable, which BullMQ reports once per reconnection attempt. */
const connectionCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
function isConnectionError(error: Error & { code?: string }): boolean {
  return (
    connectionCodes.has(error.code ?? "") ||
    error.name === "MaxRetriesPerRequestError" ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|Stream isn't writeable|Socket closed unexpectedly/i.test(error.message ?? "")
  );
}

/**
 * Every `error` a queue or worker emits is counted (`queue_errors_total{queue,role}`). While Redis
 * is unreachable each reconnection attempt emits one: the outage is logged once when it starts and
 * once when a connection is ready again. Without a listener BullMQ printed each to stderr.
 * Returns whether Redis is unreachable as far as the emitter has seen.
 */
function reportErrors(emitter: Queue | Worker, role: "queue" | "worker", connection: JobsConnection): () => boolean {
  const events = emitter as EventEmitter;
  const { logger } = connection;
  const errors = connection.registry ? errorCounter(connection.registry) : undefined;
  const labels = { queue: emitter.name, role };
  let down = false;
  events.on("error", (error: Error) => {
    errors?.inc(labels);
    if (!isConnectionError(error)) return void logger.warn({ ...labels, err: error }, `${role} error`);
    if (down) return;
    down = true;
    logger.warn({ ...labels, err: error }, "Redis unreachable: jobs wait until it is back");
  });
  emitter.getBackend().on("ready", () => {
    if (!down) return;
    down = false;
    logger.info(labels, "Redis reachable again");
  });
  return () => down;
}

/** One counter per registry, shared by every queue and worker reporting to it. */
function errorCounter(registry: Registry): Counter<"queue" | "role"> {
  const name = "queue_errors_total";
  return (
    (registry.getSingleMetric(name) as Counter<"queue" | "role"> | undefined) ??
    new Counter({
      name,
      help: "Errors BullMQ queues and workers emitted (mostly Redis unreachable, one per reconnection attempt)",
      labelNames: ["queue", "role"] as const,
      registers: [registry],
    })
  );
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
