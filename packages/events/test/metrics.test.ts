import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger, type Redis } from "@lodge/base";
import { createTestRedis, eventually } from "@lodge/base/testing";
import { createEventBus, type EventBus, PermanentEventError, registerEventMetrics } from "@lodge/events";
import { Registry } from "prom-client";

const logger = createLogger({ service: "events-metrics-test", level: "silent" });

let redis: Redis;
let cleanup: () => Promise<void>;
let bus: EventBus;
let prefix: string;

beforeAll(async () => {
  ({ redis, prefix, cleanup } = await createTestRedis());
  bus = createEventBus({ redis, logger, prefix });
});
afterAll(async () => {
  await bus.close();
  await cleanup();
});

function registered() {
  const userId = crypto.randomUUID();
  return { userId, email: `${userId.slice(0, 8)}@example.com`, name: null };
}

/** The value of one gauge sample in the registry's exposition text (undefined when absent). */
async function sample(registry: Registry, name: string, labels: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split("\n").find((candidate) => candidate.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

describe("registerEventMetrics", () => {
  test("exposes events_consumer_lag and events_pending per stream and group", async () => {
    const registry = new Registry();
    registerEventMetrics(registry, bus);
    const labels = 'stream="user.registered",group="mailer"';

    for (let index = 0; index < 3; index++) await bus.publish("user.registered", registered());
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = false;
    const subscription = bus.subscribe({
      group: "mailer",
      consumer: "c",
      handlers: {
        "user.registered": async () => {
          started = true;
          await blocked;
        },
      },
    });
    try {
      // The consumer took all three and is stuck on the first: three pending, none lagging.
      await eventually(() => started);
      for (let index = 0; index < 2; index++) await bus.publish("user.registered", registered());
      // Two more arrived that nobody has read yet.
      expect(await sample(registry, "events_consumer_lag", labels)).toBe(2);
      expect(await sample(registry, "events_pending", labels)).toBe(3);
      const text = await registry.metrics();
      expect(text).toContain("# TYPE events_consumer_lag gauge");
      expect(text).not.toContain("dead-letter");
      expect(text).not.toContain("done");

      release();
      await eventually(async () => (await sample(registry, "events_pending", labels)) === 0 && (await sample(registry, "events_consumer_lag", labels)) === 0);
    } finally {
      release();
      await subscription.stop();
    }
  });

  test("a group on another stream gets its own series", async () => {
    const registry = new Registry();
    registerEventMetrics(registry, bus);
    await redis.xgroup("CREATE", bus.streamKey("auth.password_changed"), "audit", "0", "MKSTREAM");
    await bus.publish("auth.password_changed", { userId: crypto.randomUUID(), via: "change" });
    expect(await sample(registry, "events_consumer_lag", 'stream="auth.password_changed",group="audit"')).toBe(1);
    expect(await sample(registry, "events_pending", 'stream="auth.password_changed",group="audit"')).toBe(0);
  });

  test("a failing event shows in events_retrying and events_oldest_retry_age_seconds on the bus's clock, a dead letter in events_dead_letters", async () => {
    // A clock that stands still unless the test moves it.
    const start = Date.now();
    let offset = 0;
    const clocked = createEventBus({ redis, logger, prefix: `${prefix}clocked:`, clock: () => new Date(start + offset) });
    const registry = new Registry();
    registerEventMetrics(registry, clocked);
    const labels = 'stream="user.deletion_requested",group="eraser"';
    let healthy = false;
    let attempts = 0;
    const subscription = clocked.subscribe({
      group: "eraser",
      consumer: "c",
      retryDelayMs: 1000,
      maxRetryDelayMs: 60_000,
      handlers: {
        "user.deletion_requested": () => {
          attempts += 1;
          if (!healthy) throw new Error("database unreachable");
        },
        "user.deleted": () => {
          throw new PermanentEventError("never");
        },
      },
    });
    try {
      await clocked.publish("user.deletion_requested", { userId: crypto.randomUUID(), requestedAt: new Date().toISOString() });
      await eventually(async () => (await sample(registry, "events_retrying", labels)) === 1);
      expect(await sample(registry, "events_oldest_retry_age_seconds", labels)).toBe(0);
      // Ten minutes later (and several failed attempts on), the age counts from the first failure.
      for (let minute = 1; minute <= 10; minute++) {
        offset += 60_000;
        await eventually(async () => attempts === minute + 1 && (await redis.zcard(clocked.keys.retry("eraser"))) === 1);
      }
      expect(await sample(registry, "events_oldest_retry_age_seconds", labels)).toBe(600);
      expect(await sample(registry, "events_dead_letters", "")).toBeUndefined();
      expect((await registry.metrics()).split("\n")).toContain("events_dead_letters 0");

      await clocked.publish("user.deleted", { userId: crypto.randomUUID() });
      await eventually(async () => (await registry.metrics()).split("\n").includes("events_dead_letters 1"));
      healthy = true;
      offset += 60_000;
      await eventually(async () => (await sample(registry, "events_retrying", labels)) === 0);
      expect(await sample(registry, "events_oldest_retry_age_seconds", labels)).toBe(0);
    } finally {
      await subscription.stop();
    }
  });
});
