import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectRedis, createLogger, type Redis } from "@lodge/base";
import { type createTcpProxy, createTestRedis, eventually, proxyFor } from "@lodge/base/testing";
import { createEventBus, type EventBus } from "@lodge/events";

/**
 * The bus's consumers reach Redis through a proxy the test cuts or hangs; the test itself publishes
 * and inspects through a direct connection. What a consumer does while Redis is unreachable or a
 * connection has gone silent: it stops when asked, and it gets going again by itself.
 */
const logger = createLogger({ service: "events-outage-test", level: "silent" });
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

let counter = 0;
/** A bus over the proxy and one over the direct connection, on the same streams of their own. */
async function buses(): Promise<{ proxied: EventBus; publisher: EventBus; reconnections: () => number }> {
  counter += 1;
  const busPrefix = `${prefix}${counter}:`;
  const redis = await connectRedis(`redis://127.0.0.1:${proxy.port}`);
  const proxied = createEventBus({ redis, logger, prefix: busPrefix });
  let reconnections = 0;
  redis.on("reconnecting", () => {
    reconnections += 1;
  });
  closers.push(
    () => redis.disconnect(),
    () => proxied.close(),
  );
  return { proxied, publisher: createEventBus({ redis: direct, logger, prefix: busPrefix }), reconnections: () => reconnections };
}

function registered() {
  const userId = crypto.randomUUID();
  return { userId, email: `${userId.slice(0, 8)}@example.com`, name: null };
}

async function pendingCount(bus: EventBus, group: string): Promise<number> {
  const [count] = (await direct.xpending(bus.streamKey("user.registered"), group)) as [number];
  return count;
}

describe("a Redis outage", () => {
  test("close() returns while Redis is cut; an event whose acknowledgement could not be sent stays pending and is handled at the next start", async () => {
    const { proxied, publisher, reconnections } = await buses();
    const handled: string[] = [];
    let release = () => {};
    const inProgress = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = "";
    // One consumer idle in its blocking read when Redis goes, one in the middle of a handler.
    proxied.subscribe({ group: "idle", consumer: "c", retryDelayMs: 200, handlers: { "user.registered": (event) => void handled.push(`idle ${event.id}`) } });
    proxied.subscribe({
      group: "busy",
      consumer: "before",
      retryDelayMs: 200,
      handlers: {
        "user.registered": async (event) => {
          if (handled.some((entry) => entry.startsWith("busy "))) {
            started = event.id;
            await inProgress;
          }
          handled.push(`busy ${event.id}`);
        },
      },
    });
    const first = await publisher.publish("user.registered", registered());
    await eventually(() => handled.includes(`idle ${first.id}`) && handled.includes(`busy ${first.id}`));
    const second = await publisher.publish("user.registered", registered());
    await eventually(() => started === second.id && handled.includes(`idle ${second.id}`));
    await eventually(async () => (await pendingCount(publisher, "idle")) === 0);

    proxy.cut();
    // The bus's connections, cut at the same moment as this one, know it: the idle consumer's read
    // is held by ioredis, to be sent again once a reconnection succeeds.
    await eventually(() => reconnections() >= 1);
    const closing = proxied.close();
    release();
    // It returns (the test's own timeout is the bound), with the handler in progress finished.
    await closing;
    expect(handled).toContain(`busy ${second.id}`);
    expect(await pendingCount(publisher, "busy")).toBe(1);

    // Redis is back: a new consumer of the group runs the unacknowledged event again, and only it.
    proxy.restore();
    const again: string[] = [];
    const next = publisher.subscribe({
      group: "busy",
      consumer: "after",
      retryDelayMs: 200,
      handlers: { "user.registered": (event) => void again.push(event.id) },
    });
    closers.push(() => next.stop());
    await eventually(async () => again.includes(second.id) && (await pendingCount(publisher, "busy")) === 0);
    expect(again).toEqual([second.id]);
  });

  test("a connection that went silent under a blocking read is dropped and reopened by itself: an event published after the hang is consumed", async () => {
    const { proxied, publisher } = await buses();
    const handled: string[] = [];
    proxied.subscribe({ group: "svc", consumer: "c", retryDelayMs: 200, handlers: { "user.registered": (event) => void handled.push(event.id) } });
    const before = await publisher.publish("user.registered", registered());
    await eventually(() => handled.includes(before.id));

    // The consumer's connection goes half-open: it stays open and never answers again (no reset
    // reaches the client), while new connections get through once the hang is over.
    proxy.hang();
    proxy.restore({ keepHungConnections: true });
    const after = await publisher.publish("user.registered", registered());
    await eventually(() => handled.includes(after.id), 20_000);
    expect(handled).toEqual([before.id, after.id]);
  });
});
