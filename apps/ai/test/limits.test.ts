import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { admit } from "../src/helpers/admission";
import type { Caller, CallPlan } from "../src/helpers/calls";
import { admitAll, dollarPerToken, outcomeOf, planFor, startTestAi, type TestAi, type TestInstance, userCaller } from "./harness";

/**
 * admit and settle straight from the gateway's side of the seam, on two instances of the service
 * (each with its own Redis connection) sharing one Redis: whatever the interleaving, never more
 * calls admitted than a limit allows. Defaults: 5 requests and 1000 tokens a minute, 3 calls at
 * once, $10 a day, $12 a month.
 */
let t: TestAi;
let other: TestInstance;

beforeAll(async () => {
  t = await startTestAi({
    env: { AI_USER_RPM: "5", AI_USER_TPM: "1000", AI_USER_CONCURRENCY: "3", AI_USER_DAILY_BUDGET_USD: "10", AI_USER_MONTHLY_BUDGET_USD: "12" },
  });
  other = await t.anotherInstance();
});
afterAll(() => t.close());

/** An admin's token at the clock's time. */
const adminToken = async () => (await t.issuer.admin()).token;

/** Sets a user's overrides through the admin route (the others stay the defaults). */
async function override(userId: string, limits: Record<string, number | null>) {
  const admin = { token: await adminToken() };
  const body = { rpm: null, tpm: null, concurrency: null, dailyBudgetUsd: null, monthlyBudgetUsd: null, ...limits };
  const response = await t.call("PUT", `/ai/admin/users/${userId}/limits`, { token: admin.token, body });
  expect(response.status).toBe(200);
}

/** `count` admits of the same plan at once, alternating between the two instances. */
const admitFromBoth = (count: number, plan: CallPlan) => admitAll(Array.from({ length: count }, (_, index) => admit((index % 2 ? other : t).ctx, plan)));
const limitsOf = (refused: { details: { limit: string } }[]) => [...new Set(refused.map((refusal) => refusal.details.limit))];

describe("requests per minute", () => {
  test("20 admits at once from two instances: exactly 5 admitted; the rest 429 until the minute ends", async () => {
    t.clock.set("2026-03-10T10:00:00.000Z");
    const caller = userCaller();
    await override(caller.userId, { concurrency: 100 });
    const { admitted, refused } = await admitFromBoth(20, planFor(caller));
    expect(admitted).toHaveLength(5);
    expect(refused).toHaveLength(15);
    expect(limitsOf(refused)).toEqual(["rpm"]);
    expect(refused.map((refusal) => [refusal.code, refusal.retryAfter])).toContainEqual(["RATE_LIMITED", 60]);
    expect(admitted.map((admission) => admission.headers["x-ratelimit-remaining-requests"]).sort()).toEqual(["0", "1", "2", "3", "4"]);
    expect(admitted[0]?.headers).toMatchObject({ "x-ratelimit-limit-requests": "5", "x-ratelimit-limit-tokens": "1000", "x-ratelimit-reset-requests": "1m0s" });

    t.clock.advance(45_000);
    const late = await admitFromBoth(1, planFor(caller));
    expect(late.refused[0]?.retryAfter).toBe(15);
    t.clock.advance(15_000);
    expect((await admitFromBoth(5, planFor(caller))).admitted).toHaveLength(5);
  });
});

describe("tokens per minute", () => {
  test("estimated input plus max output is reserved; settle corrects it to what the call used", async () => {
    t.clock.set("2026-03-10T11:00:00.000Z");
    const caller = userCaller();
    await override(caller.userId, { rpm: 100, concurrency: 100 });
    const plan = planFor(caller, { inputTokens: 100, maxOutputTokens: 100 });
    const { admitted, refused } = await admitFromBoth(10, plan);
    expect(admitted).toHaveLength(5);
    expect(limitsOf(refused)).toEqual(["tpm"]);
    // Two calls used 50 tokens each instead of the 200 reserved: 300 tokens are free again.
    for (const admission of admitted.slice(0, 2)) await admission.settle(outcomeOf({ inputTokens: 40, outputTokens: 10 }));
    const after = await admitFromBoth(2, plan);
    expect(after.admitted).toHaveLength(1);
    expect(after.admitted[0]?.headers["x-ratelimit-remaining-tokens"]).toBe("100");
    // Settling twice corrects nothing more.
    await admitted[0]?.settle(outcomeOf({ inputTokens: 0, outputTokens: 0 }));
    expect((await admitFromBoth(1, planFor(caller, { inputTokens: 60, maxOutputTokens: 50 }))).refused).toHaveLength(1);
  });

  test("an input reserved at its upper bound (bytes) that does not fit is counted exactly: admitted when the count fits, refused when not", async () => {
    t.clock.set("2026-03-10T11:30:00.000Z");
    const caller = userCaller();
    await override(caller.userId, { rpm: 100, concurrency: 100 });
    let counted = 0;
    const bounded = (exact: number) =>
      planFor(caller, {
        inputTokens: 900,
        maxOutputTokens: 200,
        countInputTokens: () => {
          counted += 1;
          return exact;
        },
      });
    const fits = await admitFromBoth(1, bounded(300));
    expect(fits.admitted).toHaveLength(1);
    expect(fits.admitted[0]?.headers["x-ratelimit-remaining-tokens"]).toBe("500");
    expect(counted).toBe(1);
    const tooLarge = await admitFromBoth(1, bounded(400));
    expect(limitsOf(tooLarge.refused)).toEqual(["tpm"]);
    // Within the bound, nothing is counted.
    const uncounted = planFor(caller, {
      inputTokens: 100,
      maxOutputTokens: 100,
      countInputTokens: () => {
        throw new Error("counted within the bound");
      },
    });
    expect((await admitFromBoth(1, uncounted)).admitted).toHaveLength(1);
  });

  test("a call larger than the whole limit is refused", async () => {
    const caller = userCaller();
    const { refused } = await admitFromBoth(1, planFor(caller, { inputTokens: 900, maxOutputTokens: 101 }));
    expect(limitsOf(refused)).toEqual(["tpm"]);
  });
});

describe("calls at once", () => {
  test("10 admits at once: 3 hold a slot; a settled call frees one; a dead instance's slots free themselves when their lease ends", async () => {
    t.clock.set("2026-03-10T12:00:00.000Z");
    const caller = userCaller();
    await override(caller.userId, { rpm: 100 });
    const { admitted, refused } = await admitFromBoth(10, planFor(caller));
    expect(admitted).toHaveLength(3);
    expect(limitsOf(refused)).toEqual(["concurrency"]);
    expect(refused[0]?.retryAfter).toBe(1);
    await admitted[0]?.settle(outcomeOf({ status: "cancelled", httpStatus: 499 }));
    expect((await admitFromBoth(2, planFor(caller))).admitted).toHaveLength(1);
    // None of the three running is settled (their instance died): once the lease is over they count no more.
    t.clock.advance(t.deps.accounting.leaseMs);
    expect((await admitFromBoth(3, planFor(caller))).admitted).toHaveLength(3);
  });
});

describe("an API key's limits", () => {
  test("a key's own limits hold its calls; the user's hold every call, the key's included; a key cannot go above its user's", async () => {
    t.clock.set("2026-03-10T13:00:00.000Z");
    const user = await t.issuer.user();
    await override(user.id, { rpm: 4, concurrency: 100 });
    const key = (await t.call("POST", "/ai/keys", { token: user.token, body: { name: "slow", limits: { rpm: 2 } } })).json;
    const generous = (await t.call("POST", "/ai/keys", { token: user.token, body: { name: "fast", limits: { rpm: 50 } } })).json;
    const keyCaller: Caller = { userId: user.id, keyId: key.id, clientId: null, admin: false };
    const viaKey = await admitFromBoth(5, planFor(keyCaller));
    expect(viaKey.admitted).toHaveLength(2);
    expect(viaKey.admitted[0]?.headers["x-ratelimit-limit-requests"]).toBe("2");
    expect(limitsOf(viaKey.refused)).toEqual(["rpm"]);
    const direct = await admitFromBoth(5, planFor(userCaller(user.id)));
    expect(direct.admitted).toHaveLength(2);
    const viaGenerous = await admitFromBoth(1, planFor({ ...keyCaller, keyId: generous.id }));
    expect(viaGenerous.refused).toHaveLength(1);
    t.clock.advance(60_000);
    const next = await admitFromBoth(1, planFor({ ...keyCaller, keyId: generous.id }));
    expect(next.admitted[0]?.headers["x-ratelimit-limit-requests"]).toBe("4");
  });
});

describe("budgets", () => {
  test("the dearest cost is reserved; concurrent calls never reserve past the budget; settle charges the real cost; days and months are UTC on the service clock", async () => {
    t.clock.set("2026-03-10T10:00:00.000Z");
    const user = await t.issuer.user();
    await override(user.id, { rpm: 100, concurrency: 100 });
    const caller = userCaller(user.id);
    // $1 a token: 1 in and at most 2 out reserves $3; $10 a day fits three.
    const plan = planFor(caller, { inputTokens: 1, maxOutputTokens: 2, pricing: dollarPerToken });
    const first = await admitFromBoth(10, plan);
    expect(first.admitted).toHaveLength(3);
    expect(limitsOf(first.refused)).toEqual(["daily_budget"]);
    expect(first.refused[0]?.retryAfter).toBe(14 * 3600);
    // Each used 1 in and 1 out ($2): $6 spent, so one more fits ($9 with its reservation), not two.
    for (const admission of first.admitted) await admission.settle(outcomeOf({ inputTokens: 1, outputTokens: 1, pricing: dollarPerToken }));
    const second = await admitFromBoth(2, plan);
    expect(second.admitted).toHaveLength(1);
    await second.admitted[0]?.settle(outcomeOf({ inputTokens: 1, outputTokens: 0, pricing: dollarPerToken }));

    const limits = await t.call("GET", "/ai/limits", { token: user.token });
    expect(limits.json.budgets).toEqual({
      daily: { limitUsd: 10, spentUsd: 7, remainingUsd: 3, resetsAt: "2026-03-11T00:00:00.000Z" },
      monthly: { limitUsd: 12, spentUsd: 7, remainingUsd: 5, resetsAt: "2026-04-01T00:00:00.000Z" },
    });

    // The next UTC day: a fresh daily budget, the same month ($7 of $12 spent).
    t.clock.set("2026-03-11T00:00:00.000Z");
    const nextDay = await admitFromBoth(1, plan);
    await nextDay.admitted[0]?.settle(outcomeOf({ inputTokens: 1, outputTokens: 2, pricing: dollarPerToken }));
    const monthly = await admitFromBoth(3, plan);
    expect(monthly.admitted).toHaveLength(0);
    expect(limitsOf(monthly.refused)).toEqual(["monthly_budget"]);
    expect(monthly.refused[0]?.retryAfter).toBe(21 * 24 * 3600);
    // A call that costs nothing still passes (an unpriced model, a cache hit).
    expect((await admitFromBoth(1, planFor(caller))).admitted).toHaveLength(1);
    t.clock.set("2026-04-01T00:00:00.000Z");
    expect((await admitFromBoth(1, plan)).admitted).toHaveLength(1);
  });

  test("a call settled as an error or cut short is charged what it used; nothing used, nothing charged", async () => {
    t.clock.set("2026-03-10T15:00:00.000Z");
    const user = await t.issuer.user();
    await override(user.id, { rpm: 100, concurrency: 100 });
    const plan = planFor(userCaller(user.id), { inputTokens: 2, maxOutputTokens: 2, pricing: dollarPerToken });
    const [failed, cut] = (await admitFromBoth(2, plan)).admitted;
    await failed?.settle(
      outcomeOf({ inputTokens: 0, outputTokens: 0, pricing: null, provider: null, deployment: null, status: "error", httpStatus: 502, tokensFrom: "none" }),
    );
    await cut?.settle(outcomeOf({ inputTokens: 2, outputTokens: 1, pricing: dollarPerToken, status: "cancelled", httpStatus: 499, tokensFrom: "tokenizer" }));
    const limits = await t.call("GET", "/ai/limits", { token: user.token });
    expect(limits.json.budgets.daily).toMatchObject({ spentUsd: 3, remainingUsd: 7 });
  });
});

describe("admin overrides", () => {
  test("apply at once on the instance that took them, on the others within the cache's few seconds; null goes back to the default", async () => {
    t.clock.set("2026-03-10T16:00:00.000Z");
    const user = await t.issuer.user();
    await override(user.id, { rpm: 2, concurrency: 100 });
    const caller = userCaller(user.id);
    expect((await admitFromBoth(4, planFor(caller))).admitted).toHaveLength(2);
    await override(user.id, { rpm: null, concurrency: 100 });
    expect((await admitAll([admit(t.ctx, planFor(caller))])).admitted).toHaveLength(1);
    // The other instance read the override of 2 a moment ago: it keeps it until its copy is a few seconds old.
    expect((await admitAll([admit(other.ctx, planFor(caller))])).refused).toHaveLength(1);
    t.clock.advance(5000);
    expect((await admitAll([admit(other.ctx, planFor(caller))])).admitted).toHaveLength(1);

    const admin = { token: await adminToken() };
    const shown = await t.call("GET", `/ai/admin/users/${user.id}/limits`, { token: admin.token });
    expect(shown.json).toMatchObject({
      userId: user.id,
      overrides: { rpm: null, tpm: null, concurrency: 100, dailyBudgetUsd: null, monthlyBudgetUsd: null },
      effective: { rpm: 5, tpm: 1000, concurrency: 100, dailyBudgetUsd: 10, monthlyBudgetUsd: 12 },
    });
    const fresh = await t.call("GET", `/ai/admin/users/${Bun.randomUUIDv7()}/limits`, { token: admin.token });
    expect(fresh.json).toMatchObject({ overrides: { rpm: null, concurrency: null }, effective: { rpm: 5, concurrency: 3 }, updatedAt: null });
  });
});
