import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { apiKeys } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { startTestAi, type TestAi, type TestInstance } from "./harness";

let t: TestAi;
let other: TestInstance;

beforeAll(async () => {
  t = await startTestAi({ env: { AI_MAX_KEYS_PER_USER: "3" } });
  other = await t.anotherInstance();
});
afterAll(() => t.close());

describe("API keys", () => {
  test("made once (only the hash is kept), listed, used on any instance, revoked at once on every instance", async () => {
    const alice = await t.issuer.user();
    const created = await t.call("POST", "/ai/keys", { token: alice.token, body: { name: "  my script  ", limits: { rpm: 5 } } });
    expect(created.status).toBe(201);
    const { key, id, prefix } = created.json;
    expect(key).toMatch(/^lk_[A-Za-z0-9_-]{43}$/);
    expect(created.json).toMatchObject({ userId: alice.id, name: "my script", prefix: key.slice(0, 11), limits: { rpm: 5 }, expiresAt: null, revokedAt: null });
    const [row] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, id));
    expect(row?.hash).toBe(createHash("sha256").update(key).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(key.slice(11));

    const listed = await t.call("GET", "/ai/keys", { token: alice.token });
    expect(listed.json.keys.map((listedKey: { id: string; prefix: string }) => [listedKey.id, listedKey.prefix])).toEqual([[id, prefix]]);
    expect(JSON.stringify(listed.json)).not.toContain(key);

    // The key is a caller on both instances: its limits are the key's own under the user's.
    for (const instance of [t, other]) {
      const limits = await instance.call("GET", "/ai/limits", { token: key });
      expect(limits.status).toBe(200);
      expect(limits.json.key).toEqual({ rpm: 5, tpm: t.env.AI_USER_TPM, concurrency: t.env.AI_USER_CONCURRENCY });
    }

    expect((await other.call("DELETE", `/ai/keys/${id}`, { token: alice.token })).status).toBe(204);
    for (const instance of [t, other]) {
      const refused = await instance.call("GET", "/ai/limits", { token: key });
      expect(refused.status).toBe(401);
      expect(refused.json.error.message).toBe("API key revoked");
    }
    // Revoking again changes nothing; the key stays listed as revoked.
    expect((await t.call("DELETE", `/ai/keys/${id}`, { token: alice.token })).status).toBe(204);
    const [revoked] = (await t.call("GET", "/ai/keys", { token: alice.token })).json.keys;
    expect(revoked.revokedAt).toBe(t.clock.now().toISOString());
  });

  test("a revoked key stays refused once its record leaves Redis (read again from Postgres)", async () => {
    const bob = await t.issuer.user();
    const { key, id } = (await t.call("POST", "/ai/keys", { token: bob.token, body: { name: "k" } })).json;
    expect((await t.call("GET", "/ai/limits", { token: key })).status).toBe(200);
    expect((await t.call("DELETE", `/ai/keys/${id}`, { token: bob.token })).status).toBe(204);
    await t.redis.del(`${t.prefix}ai:key:${createHash("sha256").update(key).digest("hex")}`);
    expect((await other.call("GET", "/ai/limits", { token: key })).status).toBe(401);
  });

  test("an expired key, an unknown key and a malformed key are 401", async () => {
    const carol = await t.issuer.user();
    const expiresAt = new Date(t.clock.now().getTime() + 3600_000).toISOString();
    const { key } = (await t.call("POST", "/ai/keys", { token: carol.token, body: { name: "short-lived", expiresAt } })).json;
    expect((await t.call("GET", "/ai/limits", { token: key })).status).toBe(200);
    t.clock.advance(3600_000);
    try {
      const expired = await t.call("GET", "/ai/limits", { token: key });
      expect([expired.status, expired.json.error.message]).toEqual([401, "API key expired"]);
    } finally {
      t.clock.advance(-3600_000);
    }
    for (const bad of [`lk_${"A".repeat(43)}`, "lk_short", `${key}x`, `lk_${"!".repeat(43)}`]) {
      const refused = await t.call("GET", "/ai/limits", { token: bad });
      expect([refused.status, refused.json.error.code]).toEqual([401, "UNAUTHORIZED"]);
    }
  });

  test("an expiry in the past is refused", async () => {
    const dave = await t.issuer.user();
    const past = new Date(t.clock.now().getTime() - 1000).toISOString();
    const refused = await t.call("POST", "/ai/keys", { token: dave.token, body: { name: "k", expiresAt: past } });
    expect([refused.status, refused.json.error.code]).toEqual([422, "VALIDATION_FAILED"]);
    expect(await t.db.select().from(apiKeys).where(eq(apiKeys.userId, dave.id))).toEqual([]);
  });

  test("keys per user are capped (concurrent creations too); a revoked or expired key frees its place", async () => {
    const erin = await t.issuer.user();
    const attempts = await Promise.all(Array.from({ length: 6 }, (_, index) => t.call("POST", "/ai/keys", { token: erin.token, body: { name: `k${index}` } })));
    expect(attempts.map((attempt) => attempt.status).sort()).toEqual([201, 201, 201, 409, 409, 409]);
    const first = attempts.find((attempt) => attempt.status === 201)?.json;
    expect((await t.call("DELETE", `/ai/keys/${first.id}`, { token: erin.token })).status).toBe(204);
    expect((await t.call("POST", "/ai/keys", { token: erin.token, body: { name: "again" } })).status).toBe(201);
    expect((await t.call("POST", "/ai/keys", { token: erin.token, body: { name: "one too many" } })).status).toBe(409);

    const judy = await t.issuer.user();
    const expiresAt = new Date(t.clock.now().getTime() + 60_000).toISOString();
    for (const body of [{ name: "a" }, { name: "b" }, { name: "c", expiresAt }])
      expect((await t.call("POST", "/ai/keys", { token: judy.token, body })).status).toBe(201);
    t.clock.advance(60_000);
    try {
      const token = (await t.issuer.user({ id: judy.id })).token;
      expect((await t.call("POST", "/ai/keys", { token, body: { name: "d" } })).status).toBe(201);
    } finally {
      t.clock.advance(-60_000);
    }
  });

  test("another user's key cannot be revoked (404) and is not listed", async () => {
    const [frank, grace] = await Promise.all([t.issuer.user(), t.issuer.user()]);
    const { id, key } = (await t.call("POST", "/ai/keys", { token: frank.token, body: { name: "mine" } })).json;
    expect((await t.call("DELETE", `/ai/keys/${id}`, { token: grace.token })).status).toBe(404);
    expect((await t.call("GET", "/ai/keys", { token: grace.token })).json.keys).toEqual([]);
    expect((await t.call("GET", "/ai/limits", { token: key })).status).toBe(200);
  });

  test("an API key cannot make, list or revoke keys", async () => {
    const heidi = await t.issuer.user();
    const { id, key } = (await t.call("POST", "/ai/keys", { token: heidi.token, body: { name: "script" } })).json;
    expect((await t.call("POST", "/ai/keys", { token: key, body: { name: "more" } })).status).toBe(401);
    expect((await t.call("GET", "/ai/keys", { token: key })).status).toBe(401);
    expect((await t.call("DELETE", `/ai/keys/${id}`, { token: key })).status).toBe(401);
  });

  test("lastUsedAt is written once a minute at most, after the answer", async () => {
    const ivan = await t.issuer.user();
    const { id, key } = (await t.call("POST", "/ai/keys", { token: ivan.token, body: { name: "busy" } })).json;
    const lastUsed = async () => (await t.db.select({ at: apiKeys.lastUsedAt }).from(apiKeys).where(eq(apiKeys.id, id)))[0]?.at?.toISOString();
    const firstUse = t.clock.now().toISOString();
    await t.call("GET", "/ai/limits", { token: key });
    await eventually(async () => (await lastUsed()) === firstUse);
    t.clock.advance(5000);
    for (let index = 0; index < 3; index++) await t.call("GET", "/ai/limits", { token: key });
    // The next use within the minute writes nothing; once the minute has passed (Redis's own expiry), the next one does.
    expect(await lastUsed()).toBe(firstUse);
    await t.redis.del(`${t.prefix}ai:key-used:${id}`);
    const laterUse = t.clock.now().toISOString();
    await t.call("GET", "/ai/limits", { token: key });
    await eventually(async () => (await lastUsed()) === laterUse);
    t.clock.advance(-5000);
  });
});
