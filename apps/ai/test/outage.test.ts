import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { usage } from "@lodge/db/schema";
import { connectRedis } from "@lodge/kit";
import { eventually, proxyFor } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { admit } from "../src/helpers/admission";
import { outcomeOf, planFor, refusalOf, startTestAi, type TestAi, type TestInstance, userCaller } from "./harness";

/** Redis down: admissions and key lookups answer 503 (never 500), a call already admitted is still recorded, and it all recovers by itself. */
let t: TestAi;
let behindProxy: TestInstance;
const proxy = proxyFor();

beforeAll(async () => {
  t = await startTestAi();
  const redis = await connectRedis(`redis://127.0.0.1:${proxy.port}`);
  behindProxy = await t.startInstance({ usageWriter: false, redis });
});
afterAll(async () => {
  // The instances first: the one behind the proxy closes its queues over it.
  await t.close();
  proxy.stop();
});

describe("Redis unreachable", () => {
  test("admit and API keys: 503; a call admitted before settles straight into Postgres; all well again once Redis is back", async () => {
    const user = await t.issuer.user();
    const { key } = (await t.call("POST", "/ai/keys", { token: user.token, body: { name: "k" } })).json;
    const caller = userCaller(user.id);
    const running = await admit(behindProxy.ctx, planFor(caller));

    proxy.cut();
    try {
      const refused = await refusalOf(admit(behindProxy.ctx, planFor(caller)));
      expect([refused.code, refused.retryAfter]).toEqual(["UNAVAILABLE", 5]);
      const limits = await behindProxy.call("GET", "/ai/limits", { token: key });
      expect([limits.status, limits.json.error.code, limits.headers.get("retry-after")]).toEqual([503, "UNAVAILABLE", "5"]);

      await running.settle(outcomeOf());
      const [row] = await t.db.select().from(usage).where(eq(usage.id, running.id));
      expect(row).toMatchObject({ userId: user.id, status: "ok", inputTokens: 10, outputTokens: 5 });
    } finally {
      proxy.restore();
    }

    // The client reconnects on its own; until it has, each attempt fails at once.
    const again = await eventually(() => admit(behindProxy.ctx, planFor(caller)).catch(() => null));
    await again.settle(outcomeOf());
    expect((await behindProxy.call("GET", "/ai/limits", { token: key })).status).toBe(200);
  });
});
