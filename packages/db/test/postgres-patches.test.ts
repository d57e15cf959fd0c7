/** What patches/postgres@3.4.9.patch changes in postgres.js, checked against a real Postgres. */
import { describe, expect, test } from "bun:test";
import { dirname, join } from "node:path";
import { createTcpProxy } from "@lodge/base/testing";
import { queryRows } from "@lodge/db";
import { createTestDatabase, testServerUrl } from "@lodge/db/testing";
import { sql } from "drizzle-orm";
import postgres from "postgres";

type Queue<T> = { readonly length: number; push: (x: T) => T; shift: () => T | undefined; remove: (x: T) => T | null };
// Not in the package's exports map: loaded from the file the patch changes.
const postgresSource = dirname(Bun.resolveSync("postgres", import.meta.dir));
const { default: Queue } = (await import(join(postgresSource, "queue.js"))) as { default: <T>(initial?: T[]) => Queue<T> };

/**
 * postgres.js keeps its connections and sent queries in a small queue of its own. Upstream it keeps
 * every spent slot while the queue never runs empty (the pool's busy connections under steady load),
 * so it grew without end and each remove() scanned all of it: `/auth/me` under a constant load fell
 * from 17,000 to 6,000 requests a second within half a minute. The patch compacts it; these check
 * the patched queue still behaves as a queue, through many compactions.
 */
describe("postgres.js's queue", () => {
  test("the patch is applied", async () => {
    expect(await Bun.file(join(postgresSource, "queue.js")).text()).toContain("Lodge patch");
  });

  test("matches a plain array through 200,000 operations on a queue that never runs empty", () => {
    const queue = Queue<number>();
    const model: number[] = [];
    let next = 0;
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let step = 0; step < 200_000; step++) {
      const roll = random();
      if (model.length < 3 || roll < 0.45) {
        model.push(next);
        expect(queue.push(next)).toBe(next);
        next += 1;
      } else if (roll < 0.9) {
        expect(queue.shift()).toBe(model.shift() as number);
      } else {
        // Remove one that is queued, or one that has already left.
        const target = roll < 0.97 ? (model[Math.floor(random() * model.length)] as number) : next - 1 - model.length - 1;
        const at = model.indexOf(target);
        if (at >= 0) model.splice(at, 1);
        expect(queue.remove(target)).toBe(at >= 0 ? target : null);
      }
      expect(queue.length).toBe(model.length);
    }
    while (model.length) expect(queue.shift()).toBe(model.shift() as number);
    expect(queue.length).toBe(0);
  });

  test("a pool kept busy for thousands of queries answers every one right", async () => {
    const database = await createTestDatabase();
    try {
      let sent = 0;
      const worker = async () => {
        const answers: boolean[] = [];
        while (sent < 4000) {
          const value = sent++;
          const [row] = await queryRows<{ value: number }>(database.db, sql`select ${value}::int as value`);
          answers.push(row?.value === value);
        }
        return answers;
      };
      const answers = (await Promise.all(Array.from({ length: 16 }, worker))).flat();
      expect(answers).toHaveLength(4000);
      expect(answers.every(Boolean)).toBe(true);
    } finally {
      await database.drop();
    }
  });
});

/**
 * A connection that dies under a query used to keep that (already failed) query as its current
 * one, so `end()` waited for it forever (porsager/postgres#1097, #1130): a service's shutdown after
 * a database outage hung. These end the pool with no timeout: unpatched, they never finish.
 */
describe("ending a pool after its connection died", () => {
  async function proxiedClient() {
    const target = new URL(testServerUrl);
    const proxy = createTcpProxy({ hostname: target.hostname, port: Number(target.port || 5432) });
    const url = new URL(testServerUrl);
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    return { proxy, client: postgres(url.toString(), { max: 1, onnotice: () => {} }) };
  }

  test("under a query in flight", async () => {
    const { proxy, client } = await proxiedClient();
    try {
      await client`select 1`;
      const inFlight = client`select pg_sleep(30)`.then(
        () => "answered",
        (error: { code?: string }) => error.code,
      );
      await Bun.sleep(50);
      proxy.cut();
      expect(await inFlight).toBe("CONNECTION_CLOSED");
      await client.end();
    } finally {
      proxy.stop();
    }
  });

  test("inside a transaction, whose rollback goes to the dead connection", async () => {
    const { proxy, client } = await proxiedClient();
    try {
      const outcome = client
        .begin(async (tx) => {
          await tx`select 1`;
          setTimeout(() => proxy.cut(), 50);
          await tx`select pg_sleep(30)`;
        })
        .then(
          () => "committed",
          (error: { code?: string }) => error.code,
        );
      expect(await outcome).toBe("CONNECTION_CLOSED");
      await client.end();
    } finally {
      proxy.stop();
    }
  });
});
