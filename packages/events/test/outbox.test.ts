import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectRedis, createLogger, Redis } from "@lodge/base";
import { createTestRedis, eventually, readStream, testRedisUrl } from "@lodge/base/testing";
import { createDatabase, type Database } from "@lodge/db";
import { authOutbox } from "@lodge/db/schema";
import { createTestDatabase } from "@lodge/db/testing";
import { createEventBus, createOutbox, type EventBus } from "@lodge/events";
import { sql } from "drizzle-orm";

const logger = createLogger({ service: "outbox-test", level: "silent" });

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
let bus: EventBus;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  ({ redis, prefix, cleanup } = await createTestRedis());
  bus = createEventBus({ redis, logger, prefix });
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await bus.close();
  await database.drop();
  await cleanup();
});

function registered() {
  const userId = crypto.randomUUID();
  return { userId, email: `${userId.slice(0, 8)}@example.com`, name: null };
}

const published = (userId: string) => readStream(redis, prefix, "user.registered").then((events) => events.filter((event) => event.data.userId === userId));
const rows = () => database.db.select().from(authOutbox);

/** Tests share one outbox table: each starts from an empty one. */
async function emptyOutbox() {
  await database.db.delete(authOutbox);
}

describe("outbox", () => {
  test("an event enqueued in a transaction that rolls back is never published", async () => {
    await emptyOutbox();
    const outbox = createOutbox({ db: database.db, table: authOutbox, bus, logger });
    const data = registered();
    await database.db
      .transaction(async (tx) => {
        await outbox.enqueue(tx, "user.registered", data);
        throw new Error("the change failed");
      })
      .catch(() => {});
    expect(await rows()).toEqual([]);
    expect(await outbox.drain()).toBe(0);
    expect(await published(data.userId)).toEqual([]);
  });

  test("a committed event is published with the row id as its event id, and the row is deleted", async () => {
    await emptyOutbox();
    const outbox = createOutbox({ db: database.db, table: authOutbox, bus, logger });
    const data = registered();
    await database.db.transaction((tx) => outbox.enqueue(tx, "user.registered", data, "req-42"));
    const [row] = await rows();
    expect(row).toMatchObject({ type: "user.registered", data, requestId: "req-42" });

    expect(await outbox.drain()).toBe(1);
    const [event] = await published(data.userId);
    expect(event).toEqual({ id: row?.id, type: "user.registered", occurredAt: row?.createdAt.toISOString(), data, requestId: "req-42" } as never);
    expect(await rows()).toEqual([]);
    expect(await outbox.drain()).toBe(0);
    expect(await published(data.userId)).toHaveLength(1);
  });

  test("enqueue validates the payload and writes nothing when it is invalid", async () => {
    await emptyOutbox();
    const outbox = createOutbox({ db: database.db, table: authOutbox, bus, logger });
    const result = await database.db
      .transaction((tx) => outbox.enqueue(tx, "user.registered", { ...registered(), email: "not-an-email" }))
      .then(() => "committed")
      .catch(() => "failed");
    expect(result).toBe("failed");
    expect(await rows()).toEqual([]);
  });

  test("events stay in the outbox while the bus cannot publish, and go out once it can", async () => {
    await emptyOutbox();
    // Redis gone: one client never connected (nothing listens there), one disconnected after connecting.
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const closedPort = listener.port;
    listener.stop(true);
    const neverConnected = new Redis({ host: "127.0.0.1", port: closedPort, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    neverConnected.on("error", () => {});
    const disconnected = await connectRedis(testRedisUrl);
    disconnected.disconnect();
    closers.push(() => neverConnected.disconnect());

    const events = [registered(), registered(), registered()];
    for (const redisDown of [neverConnected, disconnected]) {
      const brokenBus = createEventBus({ redis: redisDown, logger, prefix });
      const outbox = createOutbox({ db: database.db, table: authOutbox, bus: brokenBus, logger });
      for (const data of events) {
        if ((await rows()).length < events.length) await database.db.transaction((tx) => outbox.enqueue(tx, "user.registered", data));
      }
      await expect(outbox.drain()).rejects.toThrow();
      expect(await rows()).toHaveLength(events.length);
    }

    const working = createOutbox({ db: database.db, table: authOutbox, bus, logger });
    expect(await working.drain()).toBe(events.length);
    expect(await rows()).toEqual([]);
    for (const data of events) expect(await published(data.userId)).toHaveLength(1);
  });

  test("two relays draining at once publish every row exactly once", async () => {
    await emptyOutbox();
    // Two instances: two connection pools to the same database.
    const second: Database = await createDatabase({ url: database.url, poolSize: 2 });
    closers.push(() => second.close());
    const userIds = new Set<string>();
    const writer = createOutbox({ db: database.db, table: authOutbox, bus, logger });
    // More than one batch (100), so the relays interleave.
    await database.db.transaction(async (tx) => {
      for (let index = 0; index < 250; index++) {
        const data = registered();
        userIds.add(data.userId);
        await writer.enqueue(tx, "user.registered", data);
      }
    });

    const relays = [database.db, second.db].map((db) => createOutbox({ db, table: authOutbox, bus, logger }));
    const counts = await Promise.all([...relays, ...relays].map((relay) => relay.drain()));
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(250);
    expect(await rows()).toEqual([]);

    const events = (await readStream(redis, prefix, "user.registered")).filter((event) => userIds.has(event.data.userId as string));
    expect(events).toHaveLength(250);
    expect(new Set(events.map((event) => event.id)).size).toBe(250);
  });

  test("the relay publishes on a kick without waiting for the next poll", async () => {
    await emptyOutbox();
    const outbox = createOutbox({ db: database.db, table: authOutbox, bus, logger, pollMs: 600_000 });
    outbox.start();
    try {
      // Let the first drain (of an empty outbox) finish, so the relay is waiting for the next poll.
      await eventually(async () => (await rows()).length === 0);
      for (let round = 0; round < 3; round++) {
        const data = registered();
        await database.db.transaction((tx) => outbox.enqueue(tx, "user.registered", data));
        outbox.kick();
        await eventually(async () => (await published(data.userId)).length === 1);
      }
    } finally {
      await outbox.stop();
    }
  });

  test("outbox.transaction wakes the relay when it enqueued an event, and only then", async () => {
    await emptyOutbox();
    const outbox = createOutbox({ db: database.db, table: authOutbox, bus, logger, pollMs: 600_000 });
    outbox.start();
    try {
      const first = registered();
      await outbox.transaction((tx) => outbox.enqueue(tx, "user.registered", first));
      await eventually(async () => (await published(first.userId)).length === 1);

      // An event committed without a kick waits for the next poll (ten minutes away)...
      const waiting = registered();
      await database.db.transaction((tx) => outbox.enqueue(tx, "user.registered", waiting));
      // ...and a transaction that enqueued nothing does not wake the relay for it.
      expect(await outbox.transaction(async (tx) => (await tx.select().from(authOutbox)).length)).toBe(1);
      await Bun.sleep(300);
      expect(await published(waiting.userId)).toEqual([]);

      const last = registered();
      await outbox.transaction((tx) => outbox.enqueue(tx, "user.registered", last));
      await eventually(async () => (await published(last.userId)).length === 1 && (await published(waiting.userId)).length === 1);
    } finally {
      await outbox.stop();
    }
  });

  test("stop ends the relay promptly even in the middle of a drain", async () => {
    await emptyOutbox();
    const outbox = createOutbox({ db: database.db, table: authOutbox, bus, logger, pollMs: 600_000 });
    const data = registered();
    await database.db.transaction((tx) => outbox.enqueue(tx, "user.registered", data));

    // Another instance holds the outbox table, so the relay's first drain waits on its lock.
    const locker = await createDatabase({ url: database.url, poolSize: 1 });
    closers.push(() => locker.close());
    const release = Promise.withResolvers<void>();
    const locked = Promise.withResolvers<void>();
    const holder = locker.db.transaction(async (tx) => {
      await tx.execute(sql`lock table auth.outbox in exclusive mode`);
      locked.resolve();
      await release.promise;
    });
    await locked.promise;
    outbox.start();
    await eventually(async () => {
      const result = await database.db.execute<{ waiting: number }>(
        sql`select count(*)::int as waiting from pg_locks where relation = 'auth.outbox'::regclass and not granted`,
      );
      return (result as unknown as { waiting: number }[])[0]?.waiting === 1;
    });
    const stopping = outbox.stop();
    release.resolve();
    await holder;
    // The drain in progress finishes (and publishes); stop does not then sit out the 10-minute poll.
    await stopping;
    expect(await published(data.userId)).toHaveLength(1);
  });
});
