import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseEnv, serviceEnv, z } from "@lodge/config";
import { createTestDatabase } from "@lodge/db/testing";
import { createQueue, type Queue } from "@lodge/jobs";
import { createLogger, createRouter, ctxOf, defineService, type ServiceBase, startService, upgradeWebSocket } from "@lodge/kit";
import { createTestRedis, eventually } from "@lodge/kit/testing";

/**
 * The starter on a service of the smallest kind: no outbox and no tokens (so no revocation watch
 * and no guard), one route, one consumer, one job. What the handlers were handed is recorded.
 */
const probeEnv = serviceEnv.extend({ PORT: z.coerce.number().int().default(0) });
type ProbeEnv = z.infer<typeof probeEnv>;
type Handed = { by: string; requestId?: string; bindings: Record<string, unknown>; sameDeps: boolean };
type ProbeDeps = ServiceBase & { handed: Handed[]; queue: Queue<{ requestId: string }> };

const probe = defineService<ProbeEnv, ProbeDeps>({
  name: "probe",
  env: probeEnv,
  openApi: { prefix: "/probe", title: "Probe" },
  build: async (base) => ({ handed: [], queue: createQueue<{ requestId: string }>("probe", base.jobsConnection) }),
  routes: (deps) => {
    const router = createRouter();
    router.get("/probe/ctx", (c) => c.json({ requestId: ctxOf(c, deps).requestId }));
    router.get(
      "/probe/echo",
      upgradeWebSocket(() => ({ onMessage: (event, ws) => ws.send(`echo ${event.data}`) })),
    );
    return [router];
  },
  websocket: () => ({ maxPayloadLength: 64 }),
  consumers: {
    "user.registered": (_event, ctx) =>
      void ctx.deps.handed.push({ by: "event", requestId: ctx.requestId, bindings: ctx.logger.bindings(), sameDeps: ctx.deps === started.deps }),
  },
  jobs: (deps) => [
    {
      queue: deps.queue,
      process: async (_job, ctx) =>
        void ctx.deps.handed.push({ by: "job", requestId: ctx.requestId, bindings: ctx.logger.bindings(), sameDeps: ctx.deps === started.deps }),
    },
  ],
});

let started: Awaited<ReturnType<typeof startService<ProbeEnv, ProbeDeps, object>>>;
let close: () => Promise<void>;
beforeAll(async () => {
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  const env = parseEnv(probeEnv, { DATABASE_URL: database.url, REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: prefix });
  started = await startService(probe, { env, database, redis, logger: createLogger({ service: "probe", level: "silent" }) });
  close = async () => {
    await started.close();
    await database.drop();
    await cleanup();
  };
});
afterAll(() => close());

describe("a service with neither an outbox nor tokens", () => {
  test("has neither (nor a revocation watch), and a route that asks for its guard fails at boot", async () => {
    expect("outbox" in started.deps).toBe(false);
    expect(await started.deps.metrics.registry.metrics()).not.toContain("revocation_watch_caught_up");
    expect(() => started.deps.guard.requireUser()).toThrow("the probe service verifies no tokens");
  });

  test("serves /health, /ready, its OpenAPI document and its routes, with the request id in the Ctx", async () => {
    expect((await started.app.request("/health")).status).toBe(200);
    expect(await (await started.app.request("/ready")).json()).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });
    expect(await (await started.app.request("/probe/openapi.json")).json()).toMatchObject({ info: { title: "Probe" } });
    const response = await started.app.request("/probe/ctx", { headers: { "x-request-id": "req-1" } });
    expect(await response.json()).toEqual({ requestId: "req-1" });
  });
});

describe("WebSocket routes", () => {
  test("upgrade through the handler startService gives Bun.serve, with the service's settings (a message over maxPayloadLength closes with 1009)", async () => {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: started.app.fetch, websocket: started.websocket as Bun.WebSocketHandler<undefined> });
    try {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/probe/echo`);
      const received: string[] = [];
      const closed = new Promise<number>((resolve) => socket.addEventListener("close", (event) => resolve(event.code)));
      socket.addEventListener("message", (event) => received.push(String(event.data)));
      await new Promise((resolve) => socket.addEventListener("open", resolve));
      socket.send("hi");
      await eventually(() => received.length === 1);
      expect(received).toEqual(["echo hi"]);
      socket.send("x".repeat(65));
      expect(await closed).toBe(1009);
    } finally {
      await server.stop(true);
    }
  });

  test("closeAll closes every open socket with 1001, so the server's graceful stop is not held open by them", async () => {
    const websocket = started.websocket;
    if (!websocket) throw new Error("the probe has WebSocket routes");
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: started.app.fetch, websocket: websocket as Bun.WebSocketHandler<undefined> });
    const sockets = [new WebSocket(`ws://127.0.0.1:${server.port}/probe/echo`), new WebSocket(`ws://127.0.0.1:${server.port}/probe/echo`)];
    const closes = sockets.map((socket) => new Promise<number>((resolve) => socket.addEventListener("close", (event) => resolve(event.code))));
    await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.addEventListener("open", resolve))));
    websocket.closeAll();
    await server.stop(false);
    expect(await Promise.all(closes)).toEqual([1001, 1001]);
  });
});

describe("consumers and jobs", () => {
  test("each gets a Ctx: the service's deps, the request id it carries, and the bus's or worker's child logger", async () => {
    await started.deps.bus.publish("user.registered", { userId: crypto.randomUUID(), email: "probe@example.com", name: null }, { requestId: "req-2" });
    const job = await started.deps.queue.add("probe", { requestId: "req-3" });
    await eventually(() => started.deps.handed.length === 2);
    const byKind = Object.fromEntries(started.deps.handed.map((handed) => [handed.by, handed]));
    expect(byKind.event).toMatchObject({ requestId: "req-2", sameDeps: true, bindings: { type: "user.registered", group: "probe", requestId: "req-2" } });
    expect(byKind.job).toMatchObject({ requestId: "req-3", sameDeps: true, bindings: { queue: "probe", jobId: job.id, requestId: "req-3" } });
  });
});
