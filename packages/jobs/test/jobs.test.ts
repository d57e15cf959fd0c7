import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger, Redis } from "@lodge/base";
import { createTestRedis, eventually } from "@lodge/base/testing";
import { createQueue, createWorker, defaultJobOptions, registerQueueMetrics } from "@lodge/jobs";
import { Registry } from "prom-client";

const logger = createLogger({ service: "jobs-test", level: "silent" });

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  ({ redis, prefix, cleanup } = await createTestRedis());
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await cleanup();
});

let counter = 0;
/** A queue of its own per test (and closed at the end). */
function queueFor<Data>() {
  counter += 1;
  const name = `queue-${counter}`;
  const queue = createQueue<Data>(name, { redis, prefix, logger });
  closers.push(() => queue.close());
  return { name, queue };
}

function worker<Data>(name: string, processor: Parameters<typeof createWorker<Data>>[1], concurrency?: number) {
  const created = createWorker<Data>(name, processor, { redis, prefix, logger }, concurrency ? { concurrency } : {});
  closers.push(() => created.close());
  return created;
}

describe("queues and workers", () => {
  test("jobs get the Lodge defaults and keys live under the prefix", async () => {
    const { queue } = queueFor<{ n: number }>();
    const job = await queue.add("defaults", { n: 1 });
    expect(job.opts).toMatchObject({
      attempts: 5,
      backoff: defaultJobOptions.backoff,
      removeOnComplete: defaultJobOptions.removeOnComplete,
      removeOnFail: defaultJobOptions.removeOnFail,
    });
    const keys = await redis.keys(`${prefix}bull:${queue.name}:*`);
    expect(keys.length).toBeGreaterThan(0);
  });

  test("a processor gets a child logger naming the queue, the job and its request id", async () => {
    const { name, queue } = queueFor<{ requestId: string }>();
    const bindings: Record<string, unknown>[] = [];
    worker<{ requestId: string }>(name, async (_job, { logger }) => void bindings.push(logger.bindings()));
    const job = await queue.add("traced", { requestId: "req-7" });
    await eventually(() => bindings.length === 1);
    expect(bindings[0]).toMatchObject({ queue: name, jobId: job.id, job: "traced", requestId: "req-7" });
  });

  test("a job that fails twice is retried with backoff and then completes", async () => {
    const { name, queue } = queueFor<{ n: number }>();
    const attempts: number[] = [];
    worker<{ n: number }>(name, async (job) => {
      attempts.push(job.attemptsMade + 1);
      if (attempts.length <= 2) throw new Error(`transient ${attempts.length}`);
      return { doubled: job.data.n * 2 };
    });
    const job = await queue.add("flaky", { n: 21 }, { backoff: { type: "exponential", delay: 20 } });
    // Read the job after it is seen completed (a copy read before that has no return value yet).
    await eventually(async () => (await queue.getJobState(job.id as string)) === "completed");
    const done = (await queue.getJob(job.id as string)) as NonNullable<Awaited<ReturnType<typeof queue.getJob>>>;
    expect(attempts).toEqual([1, 2, 3]);
    expect(done.returnvalue).toEqual({ doubled: 42 });
    expect(done.attemptsMade).toBe(3);
  });

  test("a job that keeps failing ends up failed after its attempts", async () => {
    const { name, queue } = queueFor<Record<string, never>>();
    let runs = 0;
    worker<Record<string, never>>(name, async () => {
      runs += 1;
      throw new Error("always");
    });
    const job = await queue.add("doomed", {}, { attempts: 3, backoff: { type: "fixed", delay: 10 } });
    await eventually(async () => (await queue.getJobState(job.id as string)) === "failed");
    const failed = (await queue.getJob(job.id as string)) as NonNullable<Awaited<ReturnType<typeof queue.getJob>>>;
    expect(runs).toBe(3);
    expect(failed.failedReason).toBe("always");
  });

  test("registerQueueMetrics reports job counts by state", async () => {
    const { name, queue } = queueFor<{ fail: boolean }>();
    const registry = new Registry();
    registerQueueMetrics(registry, [queue]);
    const value = async (state: string) => {
      const line = (await registry.metrics()).split("\n").find((candidate) => candidate.startsWith(`queue_jobs{queue="${name}",state="${state}"}`));
      return line === undefined ? undefined : Number(line.split(" ").at(-1));
    };

    await queue.add("a", { fail: false });
    await queue.add("b", { fail: true }, { attempts: 1 });
    await queue.add("later", { fail: false }, { delay: 600_000 });
    expect(await value("waiting")).toBe(2);
    expect(await value("delayed")).toBe(1);
    expect(await value("active")).toBe(0);

    worker<{ fail: boolean }>(name, async (job) => {
      if (job.data.fail) throw new Error("no");
    });
    await eventually(async () => (await value("completed")) === 1 && (await value("failed")) === 1);
    expect(await value("waiting")).toBe(0);
    expect(await value("delayed")).toBe(1);
  });

  test("close() waits for the job in progress to finish", async () => {
    const { name, queue } = queueFor<Record<string, never>>();
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = false;
    let finished = false;
    const busy = worker<Record<string, never>>(name, async () => {
      started = true;
      await blocked;
      finished = true;
      return "done";
    });
    const job = await queue.add("slow", {});
    await eventually(() => started);
    const closing = busy.close();
    expect(await Promise.race([closing.then(() => "closed"), Promise.resolve("still running")])).toBe("still running");
    release();
    await closing;
    expect(finished).toBe(true);
    const after = await queue.getJob(job.id as string);
    expect(await after?.getState()).toBe("completed");
    expect(after?.returnvalue).toBe("done");
  });

  test("closing a queue and a worker releases every Redis connection they opened", async () => {
    const { name, queue } = queueFor<Record<string, never>>();
    const idle = worker<Record<string, never>>(name, async () => {});
    await queue.waitUntilReady();
    await idle.waitUntilReady();
    // BullMQ leaves a client it was handed open: it must be given options and own its connections.
    for (const connection of [queue.opts.connection, idle.opts.connection]) expect(connection).not.toBeInstanceOf(Redis);
    const clients = [await queue.backend.client, await idle.backend.client, await idle.backend.blockingClient];
    await idle.close();
    await queue.close();
    for (const client of clients) expect((client as unknown as { status: string }).status).toBe("end");
    expect(redis.status).toBe("ready");
  });
});
