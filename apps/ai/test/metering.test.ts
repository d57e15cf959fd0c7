import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { usage } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { admit } from "../src/helpers/admission";
import { createUsageWriter } from "../src/helpers/usage-writer";
import { eraseUser } from "../src/services/erase-user";
import { outcomeOf, planFor, startTestAi, type TestAi, userCaller } from "./harness";

/**
 * Settle queues each call's usage record in a Redis stream; writers move them to Postgres in
 * batches. This instance runs no writer, so a test sees what waits in the stream, then starts one.
 */
let t: TestAi;

beforeAll(async () => {
  t = await startTestAi({ usageWriter: false, env: { AI_USER_RPM: "1000", AI_USER_CONCURRENCY: "1000" } });
});
afterAll(() => t.close());

const rowsOf = (userId: string) => t.db.select().from(usage).where(eq(usage.userId, userId));
const streamLength = () => t.redis.xlen(`${t.prefix}ai:usage`);
const pricing = { inputPer1M: 2.5, outputPer1M: 10, cachedInputPer1M: 1.25 };

/** `count` calls settled for `userId`; resolves with their usage ids. */
async function settleCalls(userId: string, count: number) {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const admission = await admit(t.ctx, planFor(userCaller(userId), { requestId: `req-${index}`, pricing }));
    await admission.settle(outcomeOf({ inputTokens: 1000, cachedTokens: 400, outputTokens: 200, pricing }));
    ids.push(admission.id);
  }
  return ids;
}

describe("usage records", () => {
  test("wait in the stream while no writer runs; a writer started later writes every one, once, and empties the stream", async () => {
    const userId = Bun.randomUUIDv7();
    const ids = await settleCalls(userId, 25);
    expect(await streamLength()).toBe(25);
    expect(await rowsOf(userId)).toEqual([]);

    const writer = await t.startInstance();
    const rows = await eventually(async () => {
      const found = await rowsOf(userId);
      return found.length === 25 && found;
    }).finally(() => writer.close());
    expect(rows.map((row) => row.id).sort()).toEqual(ids.sort());
    // 600 uncached at $2.5/M, 400 cached at $1.25/M, 200 out at $10/M: $0.0015 + $0.0005 + $0.002.
    expect(rows[0]).toMatchObject({
      userId,
      keyId: null,
      clientId: null,
      kind: "chat",
      model: "gpt-test",
      provider: "openai",
      deployment: "gpt-test-upstream",
      inputTokens: 1000,
      outputTokens: 200,
      cachedTokens: 400,
      tokensFrom: "upstream",
      costUsd: 0.004,
      stream: false,
      cached: false,
      status: "ok",
      httpStatus: 200,
      latencyMs: 120,
      firstTokenMs: 40,
      createdAt: t.clock.now(),
    });
    expect(rows.map((row) => row.requestId).sort()).toEqual(Array.from({ length: 25 }, (_, index) => `req-${index}`).sort());
    expect(await streamLength()).toBe(0);
  });

  test("a writer that died holding entries: another takes them over once they have been idle long enough; an entry delivered twice is one row", async () => {
    const userId = Bun.randomUUIDv7();
    const stream = `${t.prefix}ai:usage`;
    await t.redis.xgroup("CREATE", stream, "usage-writer", "0", "MKSTREAM").catch(() => {});
    const ids = await settleCalls(userId, 3);
    // A writer reads them and dies before writing them: they stay pending, owned by it.
    const read = (await t.redis.xreadgroup("GROUP", "usage-writer", "dead-writer", "COUNT", 10, "STREAMS", stream, ">")) as [string, [string, string[]][]][];
    const entries = read[0]?.[1] ?? [];
    expect(entries).toHaveLength(3);
    // The same record queued again (a settle retried by a caller after a lost reply).
    await t.redis.xadd(stream, "*", ...(entries[0]?.[1] ?? []));
    const writer = createUsageWriter({ redis: t.redis, db: t.db, logger: t.deps.logger, prefix: t.prefix, claimIdleMs: 1 });
    writer.start();
    try {
      const rows = await eventually(async () => {
        const found = await rowsOf(userId);
        return found.length === 3 && (await streamLength()) === 0 && found;
      });
      expect(rows.map((row) => row.id).sort()).toEqual(ids.sort());
      const pending = (await t.redis.xpending(stream, "usage-writer")) as [number, ...unknown[]];
      expect(pending[0]).toBe(0);
    } finally {
      await writer.stop();
    }
  });

  test("an unreadable entry is dropped (logged) and does not hold up the others", async () => {
    const userId = Bun.randomUUIDv7();
    const stream = `${t.prefix}ai:usage`;
    await t.redis.xadd(stream, "*", "usage", "{not json");
    await settleCalls(userId, 2);
    const writer = createUsageWriter({ redis: t.redis, db: t.db, logger: t.deps.logger, prefix: t.prefix });
    writer.start();
    try {
      await eventually(async () => (await rowsOf(userId)).length === 2 && (await streamLength()) === 0);
    } finally {
      await writer.stop();
    }
  });

  test("a record Postgres refuses (a token count beyond its integer) is dropped (logged); the rest of its batch is written", async () => {
    const userId = Bun.randomUUIDv7();
    const stream = `${t.prefix}ai:usage`;
    const good = (await settleCalls(userId, 1))[0] as string;
    const [entry] = (await t.redis.xrange(stream, "-", "+")).slice(-1);
    const record = JSON.parse(entry?.[1][1] ?? "{}");
    const refusedId = Bun.randomUUIDv7();
    await t.redis.xadd(stream, "*", "usage", JSON.stringify({ ...record, id: refusedId, inputTokens: 2 ** 40 }));
    const after = (await settleCalls(userId, 1))[0] as string;
    const writer = createUsageWriter({ redis: t.redis, db: t.db, logger: t.deps.logger, prefix: t.prefix });
    writer.start();
    try {
      await eventually(async () => (await streamLength()) === 0);
      expect((await rowsOf(userId)).map((row) => row.id).sort()).toEqual([good, after].sort());
    } finally {
      await writer.stop();
    }
  });

  test("a user erased while their records wait in the stream: the records are dropped, not written back", async () => {
    const [erased, kept] = [Bun.randomUUIDv7(), Bun.randomUUIDv7()];
    await settleCalls(erased, 2);
    await settleCalls(kept, 1);
    await eraseUser({ ctx: t.ctx, input: { userId: erased } });
    const writer = createUsageWriter({ redis: t.redis, db: t.db, logger: t.deps.logger, prefix: t.prefix });
    writer.start();
    try {
      await eventually(async () => (await rowsOf(kept)).length === 1 && (await streamLength()) === 0);
      expect(await rowsOf(erased)).toEqual([]);
    } finally {
      await writer.stop();
    }
  });

  test("Prometheus: tokens, cost, requests, duration and time to first token by model and provider", async () => {
    const userId = Bun.randomUUIDv7();
    const admission = await admit(t.ctx, planFor(userCaller(userId), { model: "metered", pricing }));
    await admission.settle(outcomeOf({ inputTokens: 1000, cachedTokens: 400, outputTokens: 200, pricing, latencyMs: 1500, firstTokenMs: 300 }));
    const failed = await admit(t.ctx, planFor(userCaller(userId), { model: "metered" }));
    await failed.settle(
      outcomeOf({ provider: null, deployment: null, pricing: null, inputTokens: 0, outputTokens: 0, status: "error", httpStatus: 502, firstTokenMs: null }),
    );
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    /** The sample of `name` with these labels (in any order, beside the service's own). */
    const value = (name: string, labels: Record<string, string>) =>
      metrics
        .split("\n")
        .find((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([label, text]) => line.includes(`${label}="${text}"`)))
        ?.split(" ")
        .at(-1);
    const openai = { model: "metered", provider: "openai" };
    expect(value("ai_tokens_total", { ...openai, kind: "input" })).toBe("1000");
    expect(value("ai_tokens_total", { ...openai, kind: "output" })).toBe("200");
    expect(value("ai_tokens_total", { ...openai, kind: "cached" })).toBe("400");
    expect(value("ai_cost_usd_total", openai)).toBe("0.004");
    expect(value("ai_requests_total", { ...openai, status: "ok" })).toBe("1");
    expect(value("ai_requests_total", { model: "metered", provider: "none", status: "error" })).toBe("1");
    expect(value("ai_request_duration_seconds_bucket", { ...openai, le: "1" })).toBe("0");
    expect(value("ai_request_duration_seconds_bucket", { ...openai, le: "2.5" })).toBe("1");
    expect(value("ai_first_token_seconds_bucket", { ...openai, le: "0.5" })).toBe("1");
    expect(value("ai_first_token_seconds_count", { model: "metered", provider: "none" })).toBeUndefined();
  });
});
