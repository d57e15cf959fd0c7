import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger, type Redis } from "@lodge/base";
import { createTcpProxy, createTestRedis, eventually } from "@lodge/base/testing";
import { createTestDatabase } from "@lodge/db/testing";
import { createEventBus, type EventBus, PermanentEventError } from "@lodge/events";
import { sql } from "drizzle-orm";
import postgres from "postgres";

// Long outages and the dead letters an operator redrives, over a real Postgres and Redis. The bus
// runs on a clock the tests move, so a backoff of a minute takes no time.
const logger = createLogger({ service: "events-retry-test", level: process.env.DEBUGLOG ?? "silent" });

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let redis: Redis;
let prefix: string;
let cleanup: () => Promise<void>;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.execute(sql`create table handled (event_id uuid not null, grp text not null, primary key (event_id, grp))`);
  await database.db.execute(sql`create table accounts (user_id uuid primary key)`);
  ({ redis, prefix, cleanup } = await createTestRedis());
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await database.drop();
  await cleanup();
});

let counter = 0;
/** A bus with streams of its own and a clock of its own that stands still unless `advance` moves it. */
function freshBus() {
  counter += 1;
  const start = Date.now();
  let offset = 0;
  const now = () => start + offset;
  const bus = createEventBus({ redis, logger, prefix: `${prefix}${counter}:`, clock: () => new Date(now()) });
  closers.push(() => bus.close());
  const advance = (ms: number) => {
    offset += ms;
  };
  return { bus, advance, now };
}

function deletionRequested() {
  return { userId: crypto.randomUUID(), requestedAt: new Date().toISOString() };
}

const handledRows = async (eventId: string) =>
  (await database.db.execute(sql`select grp from handled where event_id = ${eventId}`)) as unknown as { grp: string }[];

async function deadLetterCount(bus: EventBus) {
  return (await bus.deadLetters.list()).length;
}

async function pendingCount(bus: EventBus, group: string) {
  const [count] = (await redis.xpending(bus.streamKey("user.deletion_requested"), group)) as [number];
  return count;
}

/** When the event's next attempt is due (ms on the bus's clock), undefined when none is scheduled. */
async function dueAt(bus: EventBus, group: string, entryId: string) {
  const score = await redis.zscore(bus.keys.retry(group), `user.deletion_requested ${entryId}`);
  return score === null ? undefined : Number(score);
}

describe("retries", () => {
  test("a handler whose Postgres is down for longer than the old five attempts backs off, never early, and succeeds without a dead letter", async () => {
    const { bus, advance, now } = freshBus();
    // The handler's database connection goes through a proxy the test cuts: a real outage.
    const proxy = createTcpProxy({ hostname: "127.0.0.1", port: Number(new URL(database.url).port || 5432) });
    const url = new URL(database.url);
    url.host = `127.0.0.1:${proxy.port}`;
    // postgres.js waits up to 20 s between reconnects by default; a short backoff keeps each attempt quick.
    const throughProxy = postgres(url.toString(), { max: 1, onnotice: () => {}, backoff: () => 0.01 });
    closers.push(
      () => throughProxy.end(),
      () => proxy.stop(),
    );
    let attempts = 0;
    bus.subscribe({
      group: "erasure",
      consumer: "c",
      retryDelayMs: 1000,
      maxRetryDelayMs: 8000,
      // Deliveries idle this long (real time) are reclaimed when no retry is scheduled: it must not cut the backoff short.
      claimIdleMs: 100,
      handlers: {
        "user.deletion_requested": async (event) => {
          attempts += 1;
          await throughProxy`insert into handled (event_id, grp) values (${event.id}, 'erasure') on conflict do nothing`;
        },
      },
    });
    proxy.cut();
    let before = now();
    const event = await bus.publish("user.deletion_requested", deletionRequested());
    const [entry] = (await redis.xrange(bus.streamKey("user.deletion_requested"), "-", "+")) as [string, string[]][];
    const entryId = entry?.[0] as string;

    for (let attempt = 1; attempt <= 9; attempt++) {
      await eventually(async () => attempts === attempt && (await dueAt(bus, "erasure", entryId)) !== undefined);
      // Capped exponential backoff with jitter: half the delay fixed, half random, never over the cap.
      const ceiling = Math.min(8000, 1000 * 2 ** (attempt - 1));
      const due = (await dueAt(bus, "erasure", entryId)) as number;
      expect(due - before).toBeGreaterThanOrEqual(ceiling / 2);
      expect(due - before).toBeLessThanOrEqual(ceiling);
      // The delivery sits idle far past claimIdleMs (Redis's own idle count, so the consumer's loop
      // has gone round meanwhile): still no attempt before the clock reaches the due time.
      await eventually(async () => {
        const pending = (await redis.xpending(bus.streamKey("user.deletion_requested"), "erasure", "IDLE", 1000, entryId, entryId, 1)) as unknown[];
        return pending.length === 1;
      });
      expect(attempts).toBe(attempt);
      expect(await deadLetterCount(bus)).toBe(0);
      advance(ceiling);
      before = now();
    }
    proxy.restore();
    await eventually(async () => (await handledRows(event.id)).length === 1 && (await pendingCount(bus, "erasure")) === 0);
    expect(attempts).toBe(10);
    expect(await deadLetterCount(bus)).toBe(0);
    // Nothing is left scheduled or waiting.
    expect(await dueAt(bus, "erasure", entryId)).toBeUndefined();
    expect((await bus.groupStats()).find((stat) => stat.group === "erasure")).toMatchObject({ retrying: 0, pending: 0 });
  });

  test("a must-complete event is never capped by a subscriber's maxAttempts", async () => {
    const { bus, advance } = freshBus();
    let failures = 3;
    bus.subscribe({
      group: "capped",
      consumer: "c",
      maxAttempts: 2,
      retryDelayMs: 1000,
      maxRetryDelayMs: 1000,
      handlers: {
        "user.deletion_requested": async (event) => {
          // Fails while the account row it needs is missing (as a replica lagging would).
          const [row] = (await database.db.execute(sql`select 1 from accounts where user_id = ${event.data.userId}`)) as unknown[];
          if (!row && failures-- > 0) throw new Error("account not there yet");
          await database.db.execute(sql`insert into handled (event_id, grp) values (${event.id}, 'capped')`);
        },
      },
    });
    const event = await bus.publish("user.deletion_requested", deletionRequested());
    await eventually(async () => {
      advance(1000);
      return (await handledRows(event.id)).length === 1;
    });
    expect(failures).toBe(-1);
    expect(await deadLetterCount(bus)).toBe(0);
  });
});

describe("dead letters", () => {
  test("an invalid payload and a permanent failure are dead-lettered at once; redrive runs the event again for its own group only", async () => {
    const { bus } = freshBus();
    const attempts: Record<string, number> = { erasure: 0, audit: 0 };
    for (const group of ["erasure", "audit"]) {
      bus.subscribe({
        group,
        consumer: "c",
        handlers: {
          "user.deletion_requested": async (event) => {
            attempts[group] = (attempts[group] ?? 0) + 1;
            const [row] = (await database.db.execute(sql`select 1 from accounts where user_id = ${event.data.userId}`)) as unknown[];
            // Erasure needs the account row; without it no retry can ever help.
            if (group === "erasure" && !row) throw new PermanentEventError(`no account ${event.data.userId}`);
            await database.db.execute(sql`insert into handled (event_id, grp) values (${event.id}, ${group})`);
          },
        },
      });
    }
    await redis.xadd(bus.streamKey("user.deletion_requested"), "*", "event", JSON.stringify({ id: crypto.randomUUID(), type: "user.deletion_requested" }));
    const event = await bus.publish("user.deletion_requested", deletionRequested());
    await eventually(async () => (await deadLetterCount(bus)) === 3 && (await pendingCount(bus, "erasure")) === 0 && (await pendingCount(bus, "audit")) === 0);
    // Each handler ran once: neither the invalid entry nor the permanent failure was retried.
    expect(attempts).toEqual({ erasure: 1, audit: 1 });
    const letters = await bus.deadLetters.list();
    expect(letters.map((letter) => [letter.group, letter.error.slice(0, 14)]).sort()).toEqual([
      ["audit", "invalid event:"],
      ["erasure", "invalid event:"],
      ["erasure", `no account ${event.data.userId}`.slice(0, 14)],
    ]);
    const permanent = letters.find((letter) => letter.error.startsWith("no account")) as (typeof letters)[number];
    expect(JSON.parse(permanent.event)).toEqual(event);
    expect(permanent.attempts).toBe("1");

    // The operator fixes the cause and redrives: erasure handles it, audit (done already) does not run again.
    await database.db.execute(sql`insert into accounts (user_id) values (${event.data.userId})`);
    expect(await bus.deadLetters.redrive(permanent.id)).toBe(true);
    expect(await bus.deadLetters.redrive(permanent.id)).toBe(false);
    await eventually(async () => (await handledRows(event.id)).length === 2 && (await pendingCount(bus, "erasure")) === 0);
    expect((await handledRows(event.id)).map((row) => row.grp).sort()).toEqual(["audit", "erasure"]);
    expect(attempts).toEqual({ erasure: 2, audit: 1 });

    // An invalid payload redriven is still invalid: it comes back, once per group, and is never lost.
    expect(await bus.deadLetters.redriveAll()).toBe(2);
    await eventually(async () => (await deadLetterCount(bus)) === 2 && (await pendingCount(bus, "erasure")) === 0 && (await pendingCount(bus, "audit")) === 0);
    expect((await bus.deadLetters.list()).map((letter) => letter.group).sort()).toEqual(["audit", "erasure"]);
    expect(attempts).toEqual({ erasure: 2, audit: 1 });
  });
});
