import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createEventBus, type EventBus, registerEventMetrics } from "@lodge/events";
import { createLogger, type Redis } from "@lodge/kit";
import { createTestRedis, eventually } from "@lodge/kit/testing";
import { Registry } from "prom-client";

const logger = createLogger({ service: "events-metrics-test", level: "silent" });

let redis: Redis;
let cleanup: () => Promise<void>;
let bus: EventBus;

beforeAll(async () => {
  let prefix: string;
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
});
