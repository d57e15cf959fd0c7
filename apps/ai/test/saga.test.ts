/**
 * The AI service's part of account deletion and of the export: `user.deletion_requested` erases
 * the user's cached answers, keys, limit overrides, usage records and jobs and is answered with
 * `user.data_erased` (service "ai"); `GET /ai/export/{userId}` gives the user service everything
 * held about a user, never a key's hash. The service is the harness's (a real Postgres and Redis,
 * tokens from a test issuer); the rows are written as the keys routes, the metering and the jobs write them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jobs as aiJobs, apiKeys, usage, userLimits } from "@lodge/db/schema";
import { eventually, readStream } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { storeCached } from "../src/helpers/response-cache";
import { startTestAi, type TestAi } from "./harness";

let t: TestAi;
beforeAll(async () => {
  t = await startTestAi();
});
afterAll(() => t.close());

/** A user who has used the service: two keys (one revoked), an admin's override, two calls' usage, a job and a cached answer. */
async function activeUser() {
  const userId = Bun.randomUUIDv7();
  const keys = await t.db
    .insert(apiKeys)
    .values([
      { userId, name: "laptop", prefix: "lk_Lapt", hash: `hash-of-laptop-key-${userId}`, limits: { rpm: 5 } },
      { userId, name: "old", prefix: "lk_OldK", hash: `hash-of-old-key-${userId}`, revokedAt: new Date() },
    ])
    .returning();
  await t.db.insert(userLimits).values({ userId, tpm: 1000, monthlyBudgetUsd: 2.5, updatedAt: new Date() });
  const call = {
    userId,
    kind: "chat" as const,
    model: "smart",
    provider: "openai",
    deployment: "gpt-test",
    inputTokens: 10,
    outputTokens: 20,
    tokensFrom: "upstream" as const,
    costUsd: 0.00025,
    status: "ok" as const,
    httpStatus: 200,
    latencyMs: 30,
  };
  await t.db.insert(usage).values([
    { ...call, id: Bun.randomUUIDv7(), keyId: keys[0]?.id, stream: true, firstTokenMs: 5, requestId: "req-1", createdAt: new Date("2026-01-01T00:00:00Z") },
    { ...call, id: Bun.randomUUIDv7(), clientId: "bot-service", createdAt: new Date("2026-01-02T00:00:00Z") },
  ]);
  const [job] = await t.db
    .insert(aiJobs)
    .values({
      userId,
      kind: "image",
      request: { prompt: "a lodge in the snow" },
      status: "succeeded",
      result: { data: [{ url: "https://example.com/x.png" }] },
    })
    .returning();
  await storeCached(t.deps, `${userId}:answer`, { type: "json", body: { object: "chat.completion", choices: [] } });
  return { userId, keyIds: keys.map((key) => key.id), jobId: job?.id as string };
}

/** Everything the service's tables hold of a user. */
async function rowsOf(userId: string) {
  return {
    keys: await t.db.select().from(apiKeys).where(eq(apiKeys.userId, userId)),
    limits: await t.db.select().from(userLimits).where(eq(userLimits.userId, userId)),
    usage: await t.db.select().from(usage).where(eq(usage.userId, userId)),
    jobs: await t.db.select().from(aiJobs).where(eq(aiJobs.userId, userId)),
    cachedAnswers: (await t.redis.keys(`${t.prefix}ai:cache:${userId}:*`)).length,
  };
}

const acknowledgements = async (userId: string) =>
  (await readStream(t.redis, t.prefix, "user.data_erased")).filter((event) => event.data.userId === userId).map((event) => event.data);

describe("account deletion", () => {
  test("user.deletion_requested erases the user's cached answers, keys, limits, usage and jobs, leaves others', and is answered with user.data_erased (ai)", async () => {
    const user = await activeUser();
    const other = await activeUser();
    const before = await rowsOf(user.userId);
    expect([before.keys.length, before.limits.length, before.usage.length, before.jobs.length, before.cachedAnswers]).toEqual([2, 1, 2, 1, 1]);

    await t.deps.bus.publish("user.deletion_requested", { userId: user.userId, requestedAt: new Date().toISOString() });
    const [acknowledged] = await eventually(async () => {
      const found = await acknowledgements(user.userId);
      return found.length > 0 && found;
    });
    expect(acknowledged).toEqual({ userId: user.userId, service: "ai" });
    // Published with the rows' removal: once it is on the bus, nothing of the user is left.
    expect(await rowsOf(user.userId)).toEqual({ keys: [], limits: [], usage: [], jobs: [], cachedAnswers: 0 });
    const kept = await rowsOf(other.userId);
    expect([kept.keys.length, kept.limits.length, kept.usage.length, kept.jobs.length, kept.cachedAnswers]).toEqual([2, 1, 2, 1, 1]);
  });

  test("a redelivered or repeated request erases nothing more and is answered again", async () => {
    const user = await activeUser();
    for (const _ of [1, 2]) await t.deps.bus.publish("user.deletion_requested", { userId: user.userId, requestedAt: new Date().toISOString() });
    await eventually(async () => (await acknowledgements(user.userId)).length === 2);
    expect(await rowsOf(user.userId)).toEqual({ keys: [], limits: [], usage: [], jobs: [], cachedAnswers: 0 });
    // A user the service never saw is acknowledged as well (the saga waits for every service).
    const stranger = Bun.randomUUIDv7();
    await t.deps.bus.publish("user.deletion_requested", { userId: stranger, requestedAt: new Date().toISOString() });
    expect(await eventually(async () => (await acknowledgements(stranger))[0])).toEqual({ userId: stranger, service: "ai" });
  });
  test("a deleted user's API key is refused at once, though its record was fresh in Redis (which every instance reads keys from)", async () => {
    const user = await t.issuer.user();
    const { key } = (await t.call("POST", "/ai/keys", { token: user.token, body: { name: "script" } })).json;
    expect((await t.call("GET", "/ai/limits", { token: key })).status).toBe(200);
    await t.deps.bus.publish("user.deletion_requested", { userId: user.id, requestedAt: new Date().toISOString() });
    await eventually(async () => (await acknowledgements(user.id)).length > 0);
    const refused = await t.call("GET", "/ai/limits", { token: key });
    expect([refused.status, refused.json.error.code]).toEqual([401, "UNAUTHORIZED"]);
  });
});

describe("export", () => {
  test("GET /ai/export/{userId} (scope ai:export): the user's keys without hashes, limits, usage and jobs, nobody else's", async () => {
    const user = await activeUser();
    const other = await activeUser();
    const client = await t.issuer.client("user-service", ["ai:export"]);
    const exported = await t.call("GET", `/ai/export/${user.userId}`, { token: client });
    expect(exported.status).toBe(200);
    expect(exported.json.userId).toBe(user.userId);
    expect(exported.json.keys).toEqual([
      {
        id: user.keyIds[0],
        name: "laptop",
        prefix: "lk_Lapt",
        limits: { rpm: 5 },
        createdAt: expect.any(String),
        expiresAt: null,
        lastUsedAt: null,
        revokedAt: null,
      },
      expect.objectContaining({ id: user.keyIds[1], name: "old", revokedAt: expect.any(String) }),
    ]);
    expect(exported.json.limits).toEqual({
      rpm: null,
      tpm: 1000,
      concurrency: null,
      dailyBudgetUsd: null,
      monthlyBudgetUsd: 2.5,
      updatedAt: expect.any(String),
    });
    expect(exported.json.usage).toEqual([
      expect.objectContaining({ keyId: user.keyIds[0], clientId: null, model: "smart", stream: true, firstTokenMs: 5, requestId: "req-1", costUsd: 0.00025 }),
      expect.objectContaining({ keyId: null, clientId: "bot-service", createdAt: "2026-01-02T00:00:00.000Z" }),
    ]);
    expect(exported.json.jobs).toEqual([
      expect.objectContaining({
        id: user.jobId,
        kind: "image",
        status: "succeeded",
        request: { prompt: "a lodge in the snow" },
        result: { data: [{ url: "https://example.com/x.png" }] },
        finishedAt: null,
      }),
    ]);
    expect(exported.text).not.toContain("hash-of-");
    expect(exported.text).not.toContain(other.userId);

    const nobody = await t.call("GET", `/ai/export/${Bun.randomUUIDv7()}`, { token: client });
    expect(nobody.json).toEqual({ userId: expect.any(String), keys: [], limits: null, usage: [], jobs: [] });
  });

  test("only a service client with ai:export may read it: other scopes, users and admins get 403, no token 401, a bad id 4xx", async () => {
    const user = await activeUser();
    const path = `/ai/export/${user.userId}`;
    const wrongScope = await t.issuer.client("reader", ["notifications:export", "ai:invoke"]);
    const owner = await t.issuer.user({ id: user.userId });
    const admin = await t.issuer.admin();
    for (const token of [wrongScope, owner.token, admin.token]) {
      const response = await t.call("GET", path, { token });
      expect({ status: response.status, code: response.json.error?.code }).toEqual({ status: 403, code: "FORBIDDEN" });
    }
    const anonymous = await t.call("GET", path);
    expect({ status: anonymous.status, code: anonymous.json.error?.code }).toEqual({ status: 401, code: "UNAUTHORIZED" });
    const client = await t.issuer.client("user-service", ["ai:export"]);
    for (const bad of ["not-a-uuid", "1' or '1'='1", "%00"]) {
      const response = await t.call("GET", `/ai/export/${encodeURIComponent(bad)}`, { token: client });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.json.error.code).toBeString();
    }
  });

  test("the route is in the service's OpenAPI document with its error responses", async () => {
    const document = (await t.call("GET", "/ai/openapi.json")).json;
    const operation = document.paths["/ai/export/{userId}"]?.get;
    expect(Object.keys(operation?.responses ?? {}).sort()).toEqual(["200", "400", "401", "403", "413", "415", "422", "503"]);
  });
});
