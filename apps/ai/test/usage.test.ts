import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { usage } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { admit } from "../src/helpers/admission";
import type { Caller } from "../src/helpers/calls";
import { outcomeOf, planFor, startTestAi, type TestAi } from "./harness";

/** GET /ai/usage (the caller's) and /ai/admin/usage over calls metered on two days, with and without a key. */
let t: TestAi;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let keyId: string;
let key: string;

const pricing = { inputPer1M: 1, outputPer1M: 2 };

async function meter(caller: Caller, model: string) {
  const admission = await admit(t.ctx, planFor(caller, { model, pricing }));
  await admission.settle(outcomeOf({ inputTokens: 1000, outputTokens: 500, pricing }));
}

beforeAll(async () => {
  t = await startTestAi({ start: "2026-03-10T09:00:00.000Z" });
  [alice, bob] = await Promise.all([t.issuer.user(), t.issuer.user()]);
  ({ id: keyId, key } = (await t.call("POST", "/ai/keys", { token: alice.token, body: { name: "script" } })).json);
  const own: Caller = { userId: alice.id, keyId: null, clientId: null, admin: false };
  const viaKey: Caller = { ...own, keyId };
  await meter(own, "alpha");
  await meter(own, "alpha");
  await meter(viaKey, "beta");
  await meter({ ...own, userId: bob.id }, "alpha");
  t.clock.set("2026-03-11T23:59:59.999Z");
  await meter(viaKey, "alpha");
  await eventually(async () => (await t.db.select().from(usage)).length === 5);
  t.clock.set("2026-03-12T08:00:00.000Z");
  [alice, bob] = await Promise.all([t.issuer.user({ id: alice.id }), t.issuer.user({ id: bob.id })]);
});
afterAll(() => t.close());

/** Each call: 1000 in at $1/M and 500 out at $2/M, $0.002. */
const calls = (requests: number) => ({
  requests,
  cachedRequests: 0,
  inputTokens: 1000 * requests,
  outputTokens: 500 * requests,
  cachedTokens: 0,
  costUsd: 0.002 * requests,
});
const period = "from=2026-03-10T00:00:00Z&to=2026-03-12T00:00:00Z";

describe("GET /ai/usage", () => {
  test("by day (UTC), by model, by key (null: without one), with totals", async () => {
    const byDay = await t.call("GET", `/ai/usage?${period}&groupBy=day`, { token: alice.token });
    expect(byDay.status).toBe(200);
    expect(byDay.json).toEqual({
      from: "2026-03-10T00:00:00.000Z",
      to: "2026-03-12T00:00:00.000Z",
      groupBy: "day",
      groups: [
        { key: "2026-03-10", ...calls(3) },
        { key: "2026-03-11", ...calls(1) },
      ],
      total: calls(4),
    });
    const byModel = await t.call("GET", `/ai/usage?${period}&groupBy=model`, { token: alice.token });
    expect(byModel.json.groups).toEqual([
      { key: "alpha", ...calls(3) },
      { key: "beta", ...calls(1) },
    ]);
    const byKey = await t.call("GET", `/ai/usage?${period}&groupBy=key`, { token: alice.token });
    expect(byKey.json.groups).toEqual([
      { key: keyId, ...calls(2) },
      { key: null, ...calls(2) },
    ]);
  });

  test("the period: from inclusive, to exclusive; 30 days up to now by default; the caller's own calls only, whoever calls (a key, a client for the user)", async () => {
    const lastDay = await t.call("GET", "/ai/usage?from=2026-03-11T00:00:00Z&to=2026-03-11T23:59:59.999Z", { token: alice.token });
    expect(lastDay.json.total).toEqual(calls(0));
    const byDefault = await t.call("GET", "/ai/usage", { token: key });
    expect(byDefault.json).toMatchObject({ from: "2026-02-10T08:00:00.000Z", to: "2026-03-12T08:00:00.000Z", groupBy: "day", total: calls(4) });
    const bot = await t.issuer.client("bot-service", ["ai:invoke"]);
    const forBob = await t.call("GET", "/ai/usage?groupBy=model", { token: bot, headers: { "x-lodge-user": bob.id } });
    expect(forBob.json.groups).toEqual([{ key: "alpha", ...calls(1) }]);
  });

  test("a bad period or grouping is 422", async () => {
    for (const query of [
      "from=2026-03-12T00:00:00Z&to=2026-03-10T00:00:00Z",
      "from=2026-03-10T00:00:00Z&to=2026-03-10T00:00:00Z",
      "from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
      "from=yesterday",
      "to=2026-13-01T00:00:00Z",
      "groupBy=user",
      "groupBy=",
      "unknown=1",
    ]) {
      const response = await t.call("GET", `/ai/usage?${query}`, { token: alice.token });
      expect({ query, status: response.status, code: response.json.error.code }).toEqual({ query, status: 422, code: "VALIDATION_FAILED" });
    }
  });
});

describe("GET /ai/admin/usage", () => {
  test("one user's, or everyone's; admins only", async () => {
    const admin = await t.issuer.admin();
    const one = await t.call("GET", `/ai/admin/usage?${period}&groupBy=model&userId=${bob.id}`, { token: admin.token });
    expect(one.json.groups).toEqual([{ key: "alpha", ...calls(1) }]);
    const everyone = await t.call("GET", `/ai/admin/usage?${period}&groupBy=day`, { token: admin.token });
    expect(everyone.json.groups).toEqual([
      { key: "2026-03-10", ...calls(4) },
      { key: "2026-03-11", ...calls(1) },
    ]);
    const refused = await t.call("GET", `/ai/admin/usage?userId=${bob.id}`, { token: alice.token });
    expect([refused.status, refused.json.error.code]).toEqual([403, "FORBIDDEN"]);
  });

  test("every key, or one user's (admins only)", async () => {
    const admin = await t.issuer.admin();
    const all = await t.call("GET", "/ai/admin/keys", { token: admin.token });
    expect(all.json.keys.map((listed: { id: string; userId: string }) => [listed.id, listed.userId])).toEqual([[keyId, alice.id]]);
    expect((await t.call("GET", `/ai/admin/keys?userId=${bob.id}`, { token: admin.token })).json).toEqual({ keys: [], nextCursor: null });
    expect((await t.call("GET", "/ai/admin/keys", { token: alice.token })).status).toBe(403);
  });
});
