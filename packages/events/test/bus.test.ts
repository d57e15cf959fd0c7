import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger, type Redis } from "@lodge/base";
import { createTestRedis, eventually } from "@lodge/base/testing";
import { createEventBus, type Envelope, type EventBus, type Handlers } from "@lodge/events";

const logger = createLogger({ service: "events-test", level: "silent" });

let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
const buses: EventBus[] = [];

beforeAll(async () => {
  ({ redis, prefix, cleanup } = await createTestRedis());
});
afterAll(async () => {
  for (const bus of buses) await bus.close();
  await cleanup();
});

let counter = 0;
/** A bus with streams of its own, so one test's events never reach another test's groups. */
function freshBus() {
  counter += 1;
  const bus = createEventBus({ redis, logger, prefix: `${prefix}${counter}:` });
  buses.push(bus);
  return bus;
}

function registered() {
  const userId = crypto.randomUUID();
  return { userId, email: `${userId.slice(0, 8)}@example.com`, name: null };
}

/** A promise settled from outside: a handler that blocks until the test lets it go. */
function deferred() {
  let resolve: () => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Delivered but unacknowledged entries of a group (-1 while the group does not exist yet). */
async function pendingCount(bus: EventBus, type: "user.registered", group: string): Promise<number> {
  try {
    const [count] = (await redis.xpending(bus.streamKey(type), group)) as [number];
    return count;
  } catch (error) {
    if ((error as Error).message.includes("NOGROUP")) return -1;
    throw error;
  }
}

async function deadLetters(bus: EventBus) {
  const entries = (await redis.xrange(bus.deadLetterKey, "-", "+")) as [string, string[]][];
  return entries.map(([, fields]) => Object.fromEntries(fields.flatMap((value, index) => (index % 2 === 0 ? [[value, fields[index + 1]]] : []))));
}

describe("publish", () => {
  test("appends a validated envelope to the event's stream", async () => {
    const bus = freshBus();
    const data = registered();
    const envelope = await bus.publish("user.registered", data, { requestId: "req-1" });
    expect(envelope).toMatchObject({ type: "user.registered", data, requestId: "req-1" });
    expect(envelope.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(Date.parse(envelope.occurredAt)).not.toBeNaN();
    const entries = (await redis.xrange(bus.streamKey("user.registered"), "-", "+")) as [string, string[]][];
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]?.[1][1] ?? "")).toEqual(envelope);
  });

  test("an invalid payload throws and nothing is written", async () => {
    const bus = freshBus();
    const invalid = [
      { ...registered(), email: "not-an-email" },
      { ...registered(), userId: "not-a-uuid" },
      { email: "a@example.com", name: null },
      { ...registered(), name: 42 },
    ];
    for (const data of invalid) await expect(bus.publish("user.registered", data as never)).rejects.toThrow();
    await expect(bus.publish("no.such_event" as never, registered() as never)).rejects.toThrow();
    await expect(bus.publish("user.registered", registered(), { id: "not-a-uuid" })).rejects.toThrow();
    expect(await redis.exists(bus.streamKey("user.registered"))).toBe(0);
    expect((await redis.keys(`${prefix}${counter}:*`)).length).toBe(0);
  });
});

describe("subscribe", () => {
  test("a handler gets each event once, including events published before the group existed", async () => {
    const bus = freshBus();
    const before = [registered(), registered(), registered()];
    for (const data of before) await bus.publish("user.registered", data);
    const handled: string[] = [];
    bus.subscribe({ group: "svc", consumer: "one", handlers: { "user.registered": (event) => void handled.push(event.data.userId) } });
    const after = [registered(), registered()];
    for (const data of after) await bus.publish("user.registered", data);

    await eventually(async () => handled.length >= 5 && (await pendingCount(bus, "user.registered", "svc")) === 0);
    // Everything is acknowledged: nothing is left that could be delivered again.
    expect(handled.sort()).toEqual([...before, ...after].map((data) => data.userId).sort());
  });

  test("a handler gets the delivery's child logger: event id, type, group and request id", async () => {
    const bus = freshBus();
    const bindings: Record<string, unknown>[] = [];
    bus.subscribe({ group: "svc", handlers: { "user.registered": (_event, { logger }) => void bindings.push(logger.bindings()) } });
    const event = await bus.publish("user.registered", registered(), { requestId: "req-42" });
    await eventually(() => bindings.length === 1);
    expect(bindings[0]).toMatchObject({ eventId: event.id, type: "user.registered", group: "svc", requestId: "req-42" });
  });

  test("each group gets every event", async () => {
    const bus = freshBus();
    const byGroup: Record<string, string[]> = { mail: [], analytics: [] };
    for (const group of Object.keys(byGroup)) {
      bus.subscribe({ group, consumer: `${group}-1`, handlers: { "user.registered": (event) => void byGroup[group]?.push(event.id) } });
    }
    const ids: string[] = [];
    for (let index = 0; index < 4; index++) ids.push((await bus.publish("user.registered", registered())).id);
    await eventually(async () => {
      const pending = await Promise.all(Object.keys(byGroup).map((group) => pendingCount(bus, "user.registered", group)));
      return byGroup.mail?.length === 4 && byGroup.analytics?.length === 4 && pending.every((count) => count === 0);
    });
    expect(byGroup.mail?.sort()).toEqual([...ids].sort());
    expect(byGroup.analytics?.sort()).toEqual([...ids].sort());
  });

  test("the same envelope id published twice is handled once per group", async () => {
    const bus = freshBus();
    const id = crypto.randomUUID();
    const data = registered();
    await bus.publish("user.registered", data, { id });
    await bus.publish("user.registered", data, { id });
    const byGroup: Record<string, string[]> = { first: [], second: [] };
    for (const group of Object.keys(byGroup)) {
      bus.subscribe({ group, consumer: "c", handlers: { "user.registered": (event) => void byGroup[group]?.push(event.id) } });
    }
    // A marker event published afterwards: once it is handled, both copies were seen.
    const marker = await bus.publish("user.registered", registered());
    await eventually(async () => {
      const pending = await Promise.all(Object.keys(byGroup).map((group) => pendingCount(bus, "user.registered", group)));
      return Object.values(byGroup).every((ids) => ids.includes(marker.id)) && pending.every((count) => count === 0);
    });
    expect(byGroup.first).toEqual([id, marker.id]);
    expect(byGroup.second).toEqual([id, marker.id]);
  });

  test("a failing handler is retried and then succeeds", async () => {
    const bus = freshBus();
    const attempts: number[] = [];
    let succeeded: Envelope<"user.registered"> | undefined;
    bus.subscribe({
      group: "flaky",
      consumer: "c",
      retryDelayMs: 200,
      maxAttempts: 5,
      handlers: {
        "user.registered": (event) => {
          attempts.push(attempts.length + 1);
          if (attempts.length < 3) throw new Error(`transient failure ${attempts.length}`);
          succeeded = event;
        },
      },
    });
    const published = await bus.publish("user.registered", registered());
    await eventually(async () => succeeded !== undefined && (await pendingCount(bus, "user.registered", "flaky")) === 0);
    expect(succeeded?.id).toBe(published.id);
    expect(attempts).toEqual([1, 2, 3]);
    expect(await deadLetters(bus)).toEqual([]);
  });

  test("a handler that always fails is dead-lettered after maxAttempts and acknowledged", async () => {
    const bus = freshBus();
    let attempts = 0;
    bus.subscribe({
      group: "broken",
      consumer: "c",
      retryDelayMs: 200,
      maxAttempts: 3,
      handlers: {
        "user.registered": () => {
          attempts += 1;
          throw new Error("permanent failure");
        },
      },
    });
    const published = await bus.publish("user.registered", registered());
    const [letter] = await eventually(async () => {
      const letters = await deadLetters(bus);
      return letters.length > 0 ? letters : undefined;
    });
    expect(attempts).toBe(3);
    expect(letter).toMatchObject({ stream: bus.streamKey("user.registered"), group: "broken", error: "permanent failure" });
    expect(JSON.parse(letter?.event ?? "")).toEqual(published);
    await eventually(async () => (await pendingCount(bus, "user.registered", "broken")) === 0);
  });

  test("an unreadable entry goes to the dead-letter stream and later events still flow", async () => {
    const bus = freshBus();
    const handled: string[] = [];
    const key = bus.streamKey("user.registered");
    await redis.xadd(key, "*", "event", "{not json");
    await redis.xadd(key, "*", "something", "else");
    await redis.xadd(key, "*", "event", JSON.stringify({ id: crypto.randomUUID(), type: "user.registered", occurredAt: new Date().toISOString(), data: {} }));
    // A valid envelope of another type, written into this stream, is not this stream's event.
    const stray = {
      id: crypto.randomUUID(),
      type: "auth.password_changed",
      occurredAt: new Date().toISOString(),
      data: { userId: crypto.randomUUID(), via: "reset" },
    };
    await redis.xadd(key, "*", "event", JSON.stringify(stray));
    bus.subscribe({ group: "svc", consumer: "c", maxAttempts: 1, handlers: { "user.registered": (event) => void handled.push(event.id) } });
    const good = await bus.publish("user.registered", registered());
    await eventually(async () => handled.includes(good.id) && (await pendingCount(bus, "user.registered", "svc")) === 0);
    expect(handled).toEqual([good.id]);
    const letters = await deadLetters(bus);
    expect(letters).toHaveLength(4);
    expect(letters.map((letter) => letter.error?.slice(0, 14))).toEqual(Array(4).fill("invalid event:"));
    expect(letters[0]?.event).toBe("{not json");
  });

  test("a handler for several event types gets each from its own stream", async () => {
    const bus = freshBus();
    const seen: string[] = [];
    const handlers: Handlers = {
      "user.registered": (event) => void seen.push(`${event.type}:${event.data.userId}`),
      "auth.password_changed": (event) => void seen.push(`${event.type}:${event.data.userId}`),
    };
    bus.subscribe({ group: "multi", consumer: "c", handlers });
    const user = registered();
    await bus.publish("user.registered", user);
    await bus.publish("auth.password_changed", { userId: user.userId, via: "change" });
    await eventually(() => seen.length === 2);
    expect(seen.sort()).toEqual([`auth.password_changed:${user.userId}`, `user.registered:${user.userId}`]);
  });
});

describe("consumer restarts", () => {
  test("delivery survives a consumer that dies mid-event: nothing lost, only the interrupted event runs twice", async () => {
    const bus = freshBus();
    const data = Array.from({ length: 5 }, registered);
    const ids: string[] = [];
    // Published while no consumer runs.
    for (const item of data) ids.push((await bus.publish("user.registered", item)).id);

    const invoked: { consumer: string; id: string }[] = [];
    const completed: { consumer: string; id: string }[] = [];
    const stuck = deferred();
    const handlers = (consumer: string): Handlers => ({
      "user.registered": async (event) => {
        invoked.push({ consumer, id: event.id });
        if (consumer === "before-crash" && event.id === ids[1]) await stuck.promise;
        completed.push({ consumer, id: event.id });
      },
    });

    const first = bus.subscribe({ group: "svc", consumer: "before-crash", retryDelayMs: 200, handlers: handlers("before-crash") });
    try {
      // The first event is done; the second is delivered and never acknowledged (the process hangs, then dies).
      await eventually(() => invoked.some((entry) => entry.id === ids[1]));
      expect(completed.map((entry) => entry.id)).toEqual(ids.slice(0, 1));

      const second = bus.subscribe({ group: "svc", consumer: "after-restart", retryDelayMs: 200, handlers: handlers("after-restart") });
      for (const item of [registered(), registered()]) ids.push((await bus.publish("user.registered", item)).id);
      await eventually(async () => completed.length === ids.length && (await pendingCount(bus, "user.registered", "svc")) === 0);

      const completions = completed.map((entry) => entry.id).sort();
      expect(completions).toEqual([...ids].sort());
      expect(
        completed
          .filter((entry) => entry.consumer === "after-restart")
          .map((entry) => entry.id)
          .sort(),
      ).toEqual(ids.slice(1).sort());
      const invokedTwice = ids.filter((id) => invoked.filter((entry) => entry.id === id).length > 1);
      expect(invokedTwice).toEqual([ids[1] as string]);
      await second.stop();
    } finally {
      // The dead consumer's handler never finishes its work.
      stuck.reject(new Error("process died"));
      await first.stop();
    }
    // Its leftover batch found every event already done.
    expect(completed.filter((entry) => entry.consumer === "before-crash").map((entry) => entry.id)).toEqual(ids.slice(0, 1));
    expect(await pendingCount(bus, "user.registered", "svc")).toBe(0);
    expect(await deadLetters(bus)).toEqual([]);
  });

  test("a graceful stop waits for the event in progress, which is then not handled again", async () => {
    const bus = freshBus();
    const handled: string[] = [];
    const inProgress = deferred();
    let started = false;
    const first = bus.subscribe({
      group: "svc",
      consumer: "old",
      handlers: {
        "user.registered": async (event) => {
          started = true;
          await inProgress.promise;
          handled.push(event.id);
        },
      },
    });
    const event = await bus.publish("user.registered", registered());
    await eventually(() => started);
    const stopping = first.stop();
    expect(await Promise.race([stopping.then(() => "stopped"), Promise.resolve("still running")])).toBe("still running");
    inProgress.resolve();
    await stopping;
    expect(handled).toEqual([event.id]);
    expect(await pendingCount(bus, "user.registered", "svc")).toBe(0);

    const second = bus.subscribe({ group: "svc", consumer: "new", retryDelayMs: 200, handlers: { "user.registered": (next) => void handled.push(next.id) } });
    const later = await bus.publish("user.registered", registered());
    await eventually(() => handled.includes(later.id));
    expect(handled).toEqual([event.id, later.id]);
    await second.stop();
  });

  test("stop returns promptly while the consumer is waiting for events", async () => {
    const bus = freshBus();
    const subscription = bus.subscribe({ group: "idle", consumer: "c", handlers: { "user.registered": () => {} } });
    await eventually(async () => (await redis.exists(bus.streamKey("user.registered"))) === 1);
    await subscription.stop();
    await bus.close();
  });
});
