import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { refreshTokens } from "@lodge/db/schema";
import { eventually, readStream } from "@lodge/kit/testing";
import { startTestAuth, type TestAuth } from "./harness";

let auth: TestAuth;
beforeAll(async () => {
  auth = await startTestAuth();
});
afterAll(() => auth.close());

describe("register, login, me", () => {
  test("register answers 201 with a token pair and publishes user.registered", async () => {
    const user = await auth.register({ name: "Ada" });
    expect(user.user).toMatchObject({ email: user.email, name: "Ada", role: "user", emailVerified: false });
    expect(user.accessToken.split(".")).toHaveLength(3);
    const event = await eventually(async () =>
      (await readStream(auth.redis, auth.prefix, "user.registered")).find((entry) => entry.data.userId === user.user.id),
    );
    expect(event.data).toEqual({ userId: user.user.id, email: user.email, name: "Ada" });
  });

  test("the same email twice is a 409, whatever its case", async () => {
    const user = await auth.register();
    const again = await auth.call("POST", "/auth/register", { body: { email: user.email.toUpperCase(), password: "another long password" } });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("CONFLICT");
  });

  test("login and me", async () => {
    const user = await auth.register();
    const login = await auth.call("POST", "/auth/login", { body: { email: user.email, password: user.password } });
    expect(login.status).toBe(200);
    expect(login.headers.get("set-cookie")).toContain("lodge_refresh=");
    expect(login.headers.get("set-cookie")).toContain("HttpOnly");
    expect(login.headers.get("set-cookie")).toContain("Path=/auth");
    const me = await auth.call("GET", "/auth/me", { token: login.json.accessToken });
    expect(me.status).toBe(200);
    expect(me.json.user.id).toBe(user.user.id);
    expect(me.json.session.current).toBe(true);
    expect(me.json.user.passwordHash).toBeUndefined();
  });

  test("an unknown email and a wrong password get the same answer", async () => {
    const user = await auth.register();
    const wrong = await auth.call("POST", "/auth/login", { body: { email: user.email, password: "not the password" } });
    const unknown = await auth.call("POST", "/auth/login", { body: { email: `nobody-${user.email}`, password: "not the password" } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json.error.message).toBe(unknown.json.error.message);
    expect(Object.keys(wrong.json.error)).toEqual(Object.keys(unknown.json.error));
  });
});

describe("refresh rotation", () => {
  test("a refresh spends the token and returns a new pair", async () => {
    const user = await auth.register();
    const first = await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } });
    expect(first.status).toBe(200);
    expect(first.json.refreshToken).not.toBe(user.refreshToken);
    const second = await auth.call("POST", "/auth/refresh", { body: { refreshToken: first.json.refreshToken } });
    expect(second.status).toBe(200);
  });

  test("the cookie works as well as the body", async () => {
    const user = await auth.register();
    const response = await auth.call("POST", "/auth/refresh", { headers: { cookie: `lodge_refresh=${user.refreshToken}` } });
    expect(response.status).toBe(200);
    const crossSite = await auth.call("POST", "/auth/refresh", {
      headers: { cookie: `lodge_refresh=${response.json.refreshToken}`, origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
  });

  test("two tabs refreshing with the same token within the grace window both succeed", async () => {
    const user = await auth.register();
    const [a, b] = await Promise.all([
      auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } }),
      auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
  });

  test("reuse after the grace window revokes the whole session", async () => {
    const user = await auth.register();
    const rotated = await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } });
    expect(rotated.status).toBe(200);
    auth.advance(11_000);
    const reuse = await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } });
    expect(reuse.status).toBe(401);
    // Every token of that session stops working: the rotated refresh token, and the access tokens.
    const successor = await auth.call("POST", "/auth/refresh", { body: { refreshToken: rotated.json.refreshToken } });
    expect(successor.status).toBe(401);
    await eventually(async () => (await auth.call("GET", "/auth/me", { token: rotated.json.accessToken })).status === 401);
    await eventually(async () => (await auth.call("GET", "/auth/sessions", { token: user.accessToken })).status === 401);
    const revoked = await eventually(async () =>
      (await readStream(auth.redis, auth.prefix, "auth.session_revoked")).find((event) => event.data.userId === user.user.id),
    );
    expect(revoked.data.reason).toBe("refresh_reuse");
  });

  test("an unknown or expired refresh token is a 401", async () => {
    const unknown = await auth.call("POST", "/auth/refresh", { body: { refreshToken: "nope" } });
    expect(unknown.status).toBe(401);
    const user = await auth.register();
    auth.advance(31 * 24 * 3600 * 1000);
    const expired = await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } });
    expect(expired.status).toBe(401);
    auth.advance(-31 * 24 * 3600 * 1000);
  });

  test("only hashes of refresh tokens are stored", async () => {
    const user = await auth.register();
    const rows = await auth.deps.db.select().from(refreshTokens);
    expect(rows.some((row) => row.tokenHash === user.refreshToken)).toBe(false);
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.tokenHash))).toBe(true);
  });
});
