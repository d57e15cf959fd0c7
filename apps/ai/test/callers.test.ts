import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiError, createRouter } from "@lodge/kit";
import { callerOf } from "../src/helpers/admission";
import { startTestAi, type TestAi } from "./harness";

/**
 * callerOf on its own, through a route of this test that answers the Caller it resolves (or the
 * refusal's status and code): each kind of caller, and each refusal.
 */
let t: TestAi;
let app: ReturnType<typeof createRouter>;

beforeAll(async () => {
  t = await startTestAi();
  app = createRouter();
  app.onError((error, c) => {
    const refusal = error instanceof ApiError ? error : new ApiError({ code: "INTERNAL", message: String(error) });
    return c.json({ status: refusal.status, code: refusal.code, message: refusal.message }, refusal.status);
  });
  app.get("/caller", async (c) => c.json(await callerOf(c, t.deps)));
});
afterAll(() => t.close());

const resolve = async (headers: Record<string, string>) => {
  const response = await app.request("/caller", { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const bearer = (token: string, more: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...more });

describe("callerOf", () => {
  test("a user's token: the user (admin or not), no key, no client", async () => {
    const [alice, admin] = await Promise.all([t.issuer.user(), t.issuer.admin()]);
    expect(await resolve(bearer(alice.token))).toEqual({ status: 200, body: { userId: alice.id, keyId: null, clientId: null, admin: false } });
    expect(await resolve(bearer(admin.token))).toEqual({ status: 200, body: { userId: admin.id, keyId: null, clientId: null, admin: true } });
    // Naming its own user in X-Lodge-User is allowed.
    expect((await resolve(bearer(alice.token, { "x-lodge-user": alice.id.toUpperCase() }))).body).toMatchObject({ userId: alice.id });
  });

  test("an API key: its user and its id (an admin's key is no admin)", async () => {
    const admin = await t.issuer.admin();
    const { key, id } = (await t.call("POST", "/ai/keys", { token: admin.token, body: { name: "script" } })).json;
    expect(await resolve(bearer(key))).toEqual({ status: 200, body: { userId: admin.id, keyId: id, clientId: null, admin: false } });
    expect((await resolve(bearer(key, { "x-lodge-user": admin.id }))).status).toBe(200);
  });

  test("a service client with ai:invoke acting for a user", async () => {
    const bot = await t.issuer.client("bot-service", ["ai:invoke", "notifications:send"]);
    const userId = Bun.randomUUIDv7();
    expect(await resolve(bearer(bot, { "x-lodge-user": userId }))).toEqual({
      status: 200,
      body: { userId, keyId: null, clientId: "bot-service", admin: false },
    });
  });

  test("refusals: no or bad credentials 401; a client without the scope, or naming no user, 403; another user named by a token or key 403; a malformed user id 422", async () => {
    const [alice, bob] = await Promise.all([t.issuer.user(), t.issuer.user()]);
    const { key } = (await t.call("POST", "/ai/keys", { token: alice.token, body: { name: "k" } })).json;
    const noScope = await t.issuer.client("other-service", ["files:write"]);
    const withScope = await t.issuer.client("bot-service", ["ai:invoke"]);
    const expired = await t.issuer.user({ issuedAt: new Date(t.clock.now().getTime() - 3600_000) });
    const cases: [Record<string, string>, number, string][] = [
      [{}, 401, "UNAUTHORIZED"],
      [{ authorization: "Bearer nonsense" }, 401, "UNAUTHORIZED"],
      [bearer(expired.token), 401, "UNAUTHORIZED"],
      [{ authorization: `Basic ${alice.token}` }, 401, "UNAUTHORIZED"],
      [bearer(noScope, { "x-lodge-user": alice.id }), 403, "FORBIDDEN"],
      [bearer(noScope), 403, "FORBIDDEN"],
      [bearer(withScope), 403, "FORBIDDEN"],
      [bearer(alice.token, { "x-lodge-user": bob.id }), 403, "FORBIDDEN"],
      [bearer(key, { "x-lodge-user": bob.id }), 403, "FORBIDDEN"],
      [bearer(withScope, { "x-lodge-user": "not-a-uuid" }), 422, "VALIDATION_FAILED"],
      [bearer(withScope, { "x-lodge-user": "' OR 1=1 --" }), 422, "VALIDATION_FAILED"],
    ];
    for (const [headers, status, code] of cases) {
      const { body } = await resolve(headers);
      expect({ headers, status: body.status, code: body.code }).toEqual({ headers, status, code });
    }
  });

  test("through a route: a client acting for a user sees that user's limits", async () => {
    const [admin, alice] = await Promise.all([t.issuer.admin(), t.issuer.user()]);
    const put = await t.call("PUT", `/ai/admin/users/${alice.id}/limits`, {
      token: admin.token,
      body: { rpm: 7, tpm: null, concurrency: null, dailyBudgetUsd: 1.5, monthlyBudgetUsd: null },
    });
    expect(put.status).toBe(200);
    const bot = await t.issuer.client("bot-service", ["ai:invoke"]);
    const limits = await t.call("GET", "/ai/limits", { token: bot, headers: { "x-lodge-user": alice.id } });
    expect(limits.status).toBe(200);
    expect(limits.json.user.rpm).toBe(7);
    expect(limits.json.budgets.daily.limitUsd).toBe(1.5);
    const refused = await t.call("GET", "/ai/limits", { token: await t.issuer.client("x", []), headers: { "x-lodge-user": alice.id } });
    expect([refused.status, refused.json.error.code]).toEqual([403, "FORBIDDEN"]);
  });
});
