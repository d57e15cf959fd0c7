import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectRedis, createLogger, type Redis } from "@lodge/base";
import { type createTcpProxy, createTestRedis, eventually, proxyFor } from "@lodge/base/testing";
import { createQueue, createWorker } from "@lodge/jobs";

/**
 * A service closes its queues and workers on shutdown, Redis reachable or not. They reach Redis
 * through a proxy the test cuts; the test looks at the jobs through a direct connection.
 */
let direct: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
let proxy: ReturnType<typeof createTcpProxy>;
const closers: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  ({ redis: direct, prefix, cleanup } = await createTestRedis());
  proxy = proxyFor();
});
afterAll(async () => {
  proxy.restore();
  for (const close of closers.reverse()) await close();
  proxy.stop();
  await cleanup();
});

describe("closing while Redis is cut", () => {
  test("a worker with a job in progress and a queue close and return; the job runs again once Redis is back", async () => {
    const proxied = await connectRedis(`redis://127.0.0.1:${proxy.port}`);
    closers.push(() => proxied.disconnect());
    const lines: { msg: string; role?: string }[] = [];
    const logger = createLogger({ service: "jobs-close-test", level: "info", destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
    // Short locks, so that the job interrupted by the outage is found stalled soon after.
    const workerOptions = { lockDuration: 1000, stalledInterval: 500 };
    const queue = createQueue<{ n: number }>("close", { redis: proxied, prefix, logger });
    const runs: number[] = [];
    let started = false;
    let release = () => {};
    const inProgress = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = createWorker<{ n: number }>(
      "close",
      async (job) => {
        if (job.data.n === 2) {
          started = true;
          await inProgress;
        }
        runs.push(job.data.n);
      },
      { redis: proxied, prefix, logger },
      workerOptions,
    );
    await queue.add("quick", { n: 1 });
    await eventually(() => runs.includes(1));
    const slow = await queue.add("slow", { n: 2 });
    await eventually(() => started);

    proxy.cut();
    const unreachable = (role: string) => lines.some((line) => line.role === role && line.msg === "Redis unreachable: jobs wait until it is back");
    await eventually(() => unreachable("worker") && unreachable("queue"));
    const closing = worker.close();
    release();
    // Both return (the test's own timeout is the bound), and the queue's close does not throw.
    await closing;
    await queue.close();

    expect(runs).toEqual([1, 2]);

    // Redis is back: the job whose completion could not be recorded is stalled, and runs again.
    proxy.restore();
    const quiet = createLogger({ service: "jobs-close-test", level: "silent" });
    // Its runs are recorded as n × 10, told apart from the first worker's.
    const next = createWorker<{ n: number }>("close", async (job) => void runs.push(job.data.n * 10), { redis: direct, prefix, logger: quiet }, workerOptions);
    const inspect = createQueue<{ n: number }>("close", { redis: direct, prefix, logger: quiet });
    closers.push(
      () => next.close(),
      () => inspect.close(),
    );
    await eventually(async () => (await (await inspect.getJob(slow.id as string))?.getState()) === "completed");
    expect(runs).toEqual([1, 2, 20]);
  });
});
