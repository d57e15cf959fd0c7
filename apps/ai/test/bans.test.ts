import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { toApiError } from "@lodge/kit";
import { eventually } from "@lodge/kit/testing";
import { admit } from "../src/helpers/admission";
import type { Caller } from "../src/helpers/calls";
import { planFor, refusalOf, startTestAi, type TestAi, type TestInstance } from "./harness";

/** auth.user_banned stops every call for the user (their API keys, clients acting for them) on every instance, until the ban is lifted. */
let t: TestAi;
let other: TestInstance;

beforeAll(async () => {
  t = await startTestAi();
  other = await t.anotherInstance();
});
afterAll(() => t.close());

const outcome = (attempt: Promise<unknown>) =>
  attempt.then(
    () => "admitted",
    (error: unknown) => toApiError(error).code,
  );

describe("a banned user", () => {
  test("gets 403 from admit on every instance, with a key or through a client; admitted again once unbanned", async () => {
    const user = await t.issuer.user();
    const { id: keyId } = (await t.call("POST", "/ai/keys", { token: user.token, body: { name: "k" } })).json;
    const viaKey: Caller = { userId: user.id, keyId, clientId: null, admin: false };
    const viaBot: Caller = { userId: user.id, keyId: null, clientId: "bot-service", admin: false };
    expect(await outcome(admit(other.ctx, planFor(viaKey)))).toBe("admitted");

    await t.deps.bus.publish("auth.user_banned", { userId: user.id, banned: true });
    await eventually(async () => (await outcome(admit(t.ctx, planFor(viaKey)))) === "FORBIDDEN");
    expect(await outcome(admit(other.ctx, planFor(viaBot)))).toBe("FORBIDDEN");
    const refused = await refusalOf(admit(other.ctx, planFor(viaKey)));
    expect([refused.status, refused.message]).toEqual([403, "Account suspended"]);

    await t.deps.bus.publish("auth.user_banned", { userId: user.id, banned: false });
    await eventually(async () => (await outcome(admit(other.ctx, planFor(viaKey)))) === "admitted");
    // Someone else was never affected.
    expect(await outcome(admit(t.ctx, planFor({ ...viaBot, userId: Bun.randomUUIDv7() })))).toBe("admitted");
  });
});
