import { afterAll, describe, expect, test } from "bun:test";
import { connectRedis, createLogger, type Redis } from "@lodge/base";
import { eventually } from "@lodge/base/testing";
import { createQueue, createWorker } from "@lodge/jobs";
import { Registry } from "prom-client";

// A Redis of this test's own, on a port the OS picked, that the test kills and starts again: what
// a queue and a worker do (and log) while Redis is down and once it is back.
let port = 0;
let server: ReturnType<typeof Bun.spawn> | undefined;
const closers: (() => Promise<unknown>)[] = [];

async function startRedis() {
  if (port === 0) {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    port = probe.port;
    probe.stop(true);
  }
  server = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdout: "ignore",
    stderr: "ignore",
  });
  const redis = await connectRedis(`redis://127.0.0.1:${port}`);
  redis.disconnect();
}

async function killRedis() {
  server?.kill("SIGKILL");
  await server?.exited;
}

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await killRedis();
});

type Line = { level: number; msg: string; queue?: string; role?: string };

/** The value of one counter sample in the registry's exposition text (0 when absent). */
async function sample(registry: Registry, labels: string): Promise<number> {
  const line = (await registry.metrics()).split("\n").find((candidate) => candidate.startsWith(`queue_errors_total{${labels}}`));
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

describe("a Redis outage", () => {
  test("is logged once per outage per queue and worker, again on recovery, and every error is counted", async () => {
    await startRedis();
    const lines: Line[] = [];
    const logger = createLogger({ service: "jobs-outage-test", level: "info", destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
    const registry = new Registry();
    const redis: Redis = await connectRedis(`redis://127.0.0.1:${port}`);
    redis.on("error", () => {});
    closers.push(async () => redis.disconnect());
    const connection = { redis, prefix: "outage:", logger, registry };
    const queue = createQueue<{ n: number }>("cut", connection);
    // Done once BullMQ has moved the job to completed, not when the processor returns: Redis killed
    // in between would leave the worker finishing a job the empty Redis no longer has ("Missing key").
    const done: number[] = [];
    const worker = createWorker<{ n: number }>("cut", async () => {}, connection);
    worker.on("completed", (job) => void done.push(job.data.n));
    closers.push(
      () => worker.close(true),
      () => queue.close(),
    );
    // Ids of our own: the throwaway Redis comes back empty, and BullMQ's counter would hand out job 1
    // again while the worker may still be finishing the first job 1 ("Missing key for job 1").
    const add = (name: string, n: number) => queue.add(name, { n }, { jobId: `${name}-${n}` });
    await add("before", 1);
    await eventually(() => done.includes(1));
    const outage = (role: string) => lines.filter((line) => line.msg === "Redis unreachable: jobs wait until it is back" && line.role === role);
    const recovered = (role: string) => lines.filter((line) => line.msg === "Redis reachable again" && line.role === role);

    for (let round = 1; round <= 2; round++) {
      const before = { queue: await sample(registry, 'queue="cut",role="queue"'), worker: await sample(registry, 'queue="cut",role="worker"') };
      await killRedis();
      // Several reconnection attempts have failed for each...
      await eventually(
        async () =>
          (await sample(registry, 'queue="cut",role="queue"')) >= before.queue + 3 &&
          (await sample(registry, 'queue="cut",role="worker"')) >= before.worker + 3,
      );
      // ...and each logged the outage once.
      expect(outage("queue")).toHaveLength(round);
      expect(outage("worker")).toHaveLength(round);
      expect(outage("worker").at(-1)).toMatchObject({ level: 40, queue: "cut" });

      await startRedis();
      await eventually(() => recovered("queue").length === round && recovered("worker").length === round);
      // Back to work: a job added now is processed (the throwaway Redis came back empty).
      await add("after", round + 1);
      await eventually(() => done.includes(round + 1));
      expect(outage("queue")).toHaveLength(round);
      expect(outage("worker")).toHaveLength(round);
    }
    // Nothing else was logged: no line per failed attempt.
    expect(lines.filter((line) => !line.msg.startsWith("Redis"))).toEqual([]);
  });
});
