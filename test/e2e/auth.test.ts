/**
 * The auth service through the production Caddyfile: routing, headers, client IP, limits, errors,
 * and a graceful shutdown with requests in flight (last: it stops the service).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "@lodge/kit/testing";
import { call, type Reply, type Stack, startStack } from "./stack";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const password = "a perfectly fine password";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_REGISTER_PER_IP: "3", RATE_LIMIT_LOGIN_PER_IP_EMAIL: "100", RATE_LIMIT_LOGIN_PER_ACCOUNT: "100" } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const edge = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(stack.url, method, path, options);
const direct = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(stack.authUrl, method, path, options);

/** Forgets the per-IP register counter, so each test that registers starts from zero. */
async function resetRegisterLimit() {
  const keys = await stack.redis.keys(`${stack.prefix}rl:register:*`);
  if (keys.length > 0) await stack.redis.del(...keys);
}

async function register(headers: Record<string, string> = {}) {
  const email = `e2e-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const reply = await edge("POST", "/auth/register", { body: { email, password }, headers });
  return { email, reply };
}

function expectErrorShape(reply: Reply, code: string) {
  expect(reply.headers.get("content-type")).toContain("application/json");
  expect(reply.json.error.code).toBe(code);
  expect(typeof reply.json.error.message).toBe("string");
  expect(reply.json.error.requestId).toBe(reply.headers.get("x-request-id"));
  expect(reply.text).not.toContain("stack");
}

describe("through Caddy", () => {
  test("register → login → me → refresh → sessions → revoke, and the revoked token stops working", async () => {
    await resetRegisterLimit();
    const { email, reply: registered } = await register();
    expect(registered.status).toBe(201);
    const first = registered.json;

    const login = await edge("POST", "/auth/login", { body: { email, password } });
    expect(login.status).toBe(200);
    expect(login.headers.get("set-cookie")).toContain("lodge_refresh=");

    const me = await edge("GET", "/auth/me", { token: login.json.accessToken });
    expect(me.status).toBe(200);
    expect(me.json.user.email).toBe(email);
    expect(me.json.session.current).toBe(true);
    const loginSession = me.json.session.id;

    const refreshed = await edge("POST", "/auth/refresh", { body: { refreshToken: login.json.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.refreshToken).not.toBe(login.json.refreshToken);

    const sessions = await edge("GET", "/auth/sessions", { token: first.accessToken });
    expect(sessions.status).toBe(200);
    expect(sessions.json.sessions.map((session: { id: string }) => session.id)).toContain(loginSession);
    expect(sessions.json.sessions).toHaveLength(2);

    const revoked = await edge("DELETE", `/auth/sessions/${loginSession}`, { token: first.accessToken });
    expect(revoked.status).toBe(204);
    await eventually(async () => (await edge("GET", "/auth/me", { token: refreshed.json.accessToken })).status === 401);
    expect((await edge("GET", "/auth/me", { token: first.accessToken })).status).toBe(200);
  });

  test("JWKS is served publicly, with public keys only", async () => {
    const reply = await edge("GET", "/.well-known/jwks.json");
    expect(reply.status).toBe(200);
    expect(reply.json.keys.length).toBeGreaterThan(0);
    for (const key of reply.json.keys) {
      expect(key.kid).toBeString();
      expect(key.d).toBeUndefined();
    }
  });

  test("/metrics, /health and /ready are 404 through Caddy but answer on the service's own port", async () => {
    for (const path of ["/metrics", "/health", "/ready"]) {
      const outside = await edge("GET", path);
      expect(outside.status).toBe(404);
      expectErrorShape(outside, "NOT_FOUND");
      expect((await direct("GET", path)).status).toBe(200);
    }
    expect((await direct("GET", "/metrics")).text).toContain("http_request_duration_seconds");
    // Unrouted prefixes are Caddy's 404; unknown paths under a routed prefix are the service's.
    expectErrorShape(await edge("GET", "/admin/me"), "NOT_FOUND");
    const unknown = await edge("GET", "/auth/nope");
    expect(unknown.status).toBe(404);
    expectErrorShape(unknown, "NOT_FOUND");
  });

  test("security headers are on proxied responses and on Caddy's own errors; no Server header", async () => {
    for (const reply of [await edge("GET", "/.well-known/jwks.json"), await edge("GET", "/nope")]) {
      expect(reply.headers.get("strict-transport-security")).toContain("max-age=");
      expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
      expect(reply.headers.get("referrer-policy")).toBe("no-referrer");
      expect(reply.headers.get("x-frame-options")).toBe("DENY");
      expect(reply.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(reply.headers.get("server")).toBeNull();
    }
  });

  test("X-Request-Id reaches the service and comes back; a malformed one is replaced", async () => {
    const wrong = { email: "nobody@example.com", password: "not the password" };
    const given = await edge("POST", "/auth/login", { body: wrong, headers: { "x-request-id": "e2e-request-42" } });
    expect(given.status).toBe(401);
    expect(given.headers.get("x-request-id")).toBe("e2e-request-42");
    expect(given.json.error.requestId).toBe("e2e-request-42");
    await eventually(() => stack.auth.output().includes('"requestId":"e2e-request-42"'));

    const minted = await edge("POST", "/auth/login", { body: wrong });
    expect(minted.headers.get("x-request-id")).toMatch(uuid);
    expect(minted.json.error.requestId).toBe(minted.headers.get("x-request-id"));

    const hostile = await edge("POST", "/auth/login", { body: wrong, headers: { "x-request-id": 'x" onload="1' } });
    expect(hostile.headers.get("x-request-id")).toMatch(uuid);
  });

  test("the service sees the real client, and a spoofed X-Forwarded-For does not dodge the per-IP limit", async () => {
    await resetRegisterLimit();
    const replies: Reply[] = [];
    for (let index = 1; index <= 4; index++) replies.push((await register({ "x-forwarded-for": `198.51.100.${index}` })).reply);
    expect(replies.map((reply) => reply.status)).toEqual([201, 201, 201, 429]);
    const limited = replies[3] as Reply;
    expectErrorShape(limited, "RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);

    const sessions = await edge("GET", "/auth/sessions", { token: replies[0]?.json.accessToken, headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(sessions.json.sessions.map((session: { ip: string }) => session.ip)).toEqual(["127.0.0.1"]);
    await resetRegisterLimit();
  });

  test("a body over the service's limit, or over Caddy's, is 413 in the error shape", async () => {
    const overService = await edge("POST", "/auth/login", { body: { email: "a@example.com", password: "x".repeat(100 * 1024) } });
    expect(overService.status).toBe(413);
    expectErrorShape(overService, "PAYLOAD_TOO_LARGE");

    const overCaddy = await edge("POST", "/auth/login", { body: { email: "a@example.com", password: "x".repeat(2 * 1024 * 1024) } });
    expect(overCaddy.status).toBe(413);
    expectErrorShape(overCaddy, "PAYLOAD_TOO_LARGE");
  });

  test("malformed JSON is 400 in the error shape", async () => {
    const reply = await edge("POST", "/auth/login", { body: '{"email": "a@example.com", ' });
    expect(reply.status).toBe(400);
    expectErrorShape(reply, "VALIDATION_FAILED");
  });
});

describe("graceful shutdown (runs last: it stops the service)", () => {
  test("SIGTERM with 20 logins in flight: each completes normally, then the process exits 0", async () => {
    await resetRegisterLimit();
    const { email, reply } = await register();
    expect(reply.status).toBe(201);
    const counter = `${stack.prefix}rl:login:ip:127.0.0.1`;
    const before = Number((await stack.redis.get(counter)) ?? 0);

    const logins = Array.from({ length: 20 }, () => edge("POST", "/auth/login", { body: { email, password } }).catch((error: Error) => error));
    // Every login has counted its rate-limit hit, so each is inside the service (before the password check).
    await eventually(async () => Number((await stack.redis.get(counter)) ?? 0) >= before + 20);
    stack.auth.child.kill("SIGTERM");

    const results = await Promise.all(logins);
    expect(results.map((result) => (result instanceof Error ? result.message : result.status))).toEqual(Array(20).fill(200));
    expect(await stack.auth.exited()).toBe(0);
    expect(stack.auth.output()).toContain('"msg":"stopped"');
  }, 30_000);
});
