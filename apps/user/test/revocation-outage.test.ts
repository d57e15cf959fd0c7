import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, type Reply } from "@lodge/kit/testing";
import { startTestStack, type TestStack } from "./harness";

/**
 * Finding 7: with Redis cut, a session revoked at auth (the owner signs out their other sessions,
 * or logs out) kept working on /users/me and /auth/sessions for the whole outage. The services
 * reach Redis through a proxy the test cuts; the revocations wait in auth's outbox meanwhile and
 * are published once Redis is back. A revoked token must never be accepted again: 503 (the user
 * service cannot know yet) or 401 (auth reads its own sessions; the user service once it has
 * caught up), never 200. A long allowed lag keeps tokens issued before the outage waiting after
 * it (rather than trusting the watch) until their revocation has arrived, however slow that is here.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ redisProxy: true, sharedEnv: { REVOCATION_MAX_LAG_MS: "60000" } });
});
afterAll(() => stack.close());

/** The user service's `revocation_watch_caught_up` gauge. */
async function watchGauge() {
  const metrics = await stack.call("GET", "/metrics");
  return metrics.text
    .split("\n")
    .find((line) => line.startsWith("revocation_watch_caught_up"))
    ?.split(" ")
    .pop();
}

function refused(response: Reply, label: string) {
  if (response.status === 200) throw new Error(`${label}: a revoked token was accepted`);
  expect([401, 503]).toContain(response.status);
  if (response.status === 503) expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(typeof response.json.error.code).toBe("string");
  return response;
}

describe("revocation while Redis is unreachable", () => {
  test("a session revoked during the outage is refused on /users/me and /auth/sessions, then and after", async () => {
    const account = await stack.register();
    await stack.profileArrived(account.id);
    // The attacker holds a copy of the first session's access token; the owner signs in again.
    const stolen = account.accessToken;
    const login = await stack.callAuth("POST", "/auth/login", { body: { email: account.email, password: account.password } });
    expect(login.status).toBe(200);
    const owner = login.json.accessToken as string;
    expect((await stack.call("GET", "/users/me", { token: stolen })).status).toBe(200);
    expect((await stack.callAuth("GET", "/auth/sessions", { token: stolen })).status).toBe(200);

    stack.redisProxy?.cut();
    try {
      // The owner signs out every other session: auth commits it, the event waits in the outbox.
      expect((await stack.callAuth("DELETE", "/auth/sessions", { token: owner })).status).toBe(204);
      expect(refused(await stack.call("GET", "/users/me", { token: stolen }), "user service during the outage").status).toBe(503);
      expect(await watchGauge()).toBe("0");
      expect(refused(await stack.callAuth("GET", "/auth/sessions", { token: stolen }), "auth during the outage").status).toBe(401);
      expect(refused(await stack.callAuth("GET", "/auth/me", { token: stolen }), "auth /me during the outage").status).toBe(401);
      // Auth still serves a live session from its own database.
      const mine = await stack.callAuth("GET", "/auth/sessions", { token: owner });
      expect(mine.status).toBe(200);
      expect(mine.json.sessions).toHaveLength(1);

      // Logging out during the outage: the same for the owner's own token.
      expect((await stack.callAuth("POST", "/auth/logout", { token: owner })).status).toBe(204);
      refused(await stack.call("GET", "/users/me", { token: owner }), "user service, logged out");
      expect(refused(await stack.callAuth("GET", "/auth/sessions", { token: owner }), "auth, logged out").status).toBe(401);
    } finally {
      stack.redisProxy?.restore();
    }
    // Redis is back: the watch catches up by itself and the outbox publishes the revocations.
    // Until they arrive the tokens stay refused; then they are 401 for good.
    for (const [token, label] of [
      [stolen, "stolen"],
      [owner, "logged out"],
    ] as const) {
      await eventually(async () => refused(await stack.call("GET", "/users/me", { token }), `${label}, after the outage`).status === 401, 30_000);
      expect(refused(await stack.callAuth("GET", "/auth/sessions", { token }), `${label} at auth, after the outage`).status).toBe(401);
    }
    expect(await watchGauge()).toBe("1");
  });
});
