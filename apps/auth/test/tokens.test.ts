import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { auditLog, refreshTokens, sessions } from "@lodge/db/schema";
import { eventually, readStream } from "@lodge/kit/testing";
import { and, eq, isNull } from "drizzle-orm";
import { decodeJwt } from "jose";
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

/** The session's refresh tokens that can still rotate: one per live chain. */
async function liveTokens(sessionId: string) {
  return auth.deps.db
    .select()
    .from(refreshTokens)
    .where(and(eq(refreshTokens.sessionId, sessionId), isNull(refreshTokens.spentAt)));
}

const sessionOf = (accessToken: string) => decodeJwt(accessToken).sid as string;

describe("one refresh chain per session (issue 7, finding 2)", () => {
  test("T0 rotated to A1 and replayed twice within the window: both replays get A1, one live chain; after the window T0 is reuse", async () => {
    const user = await auth.register();
    const sessionId = sessionOf(user.accessToken);
    const rotated = await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } });
    expect(rotated.status).toBe(200);
    const replays = [
      await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } }),
      await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } }),
    ];
    for (const replay of replays) {
      expect(replay.status).toBe(200);
      expect(replay.json.refreshToken).toBe(rotated.json.refreshToken);
      expect(sessionOf(replay.json.accessToken)).toBe(sessionId);
    }
    expect(await liveTokens(sessionId)).toHaveLength(1);

    // 12 s later: the one chain still rotates, and T0 is taken as theft (the session ends).
    auth.advance(12_000);
    const next = await auth.call("POST", "/auth/refresh", { body: { refreshToken: rotated.json.refreshToken } });
    expect(next.status).toBe(200);
    expect(await liveTokens(sessionId)).toHaveLength(1);
    expect((await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } })).status).toBe(401);
    expect((await auth.call("POST", "/auth/refresh", { body: { refreshToken: next.json.refreshToken } })).status).toBe(401);
    const [session] = await auth.deps.db.select().from(sessions).where(eq(sessions.id, sessionId));
    expect(session?.revokedReason).toBe("refresh_reuse");
    auth.advance(-12_000);
  });

  test("a replay within the window is answered with the chain's live end, not a spent middle", async () => {
    const user = await auth.register();
    const a1 = await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } });
    const a2 = await auth.call("POST", "/auth/refresh", { body: { refreshToken: a1.json.refreshToken } });
    const replay = await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } });
    expect(replay.status).toBe(200);
    expect(replay.json.refreshToken).toBe(a2.json.refreshToken);
    expect(await liveTokens(sessionOf(user.accessToken))).toHaveLength(1);
  });

  test("30 concurrent refreshes of one token: one live chain, every answer holding the same refresh token", async () => {
    const user = await auth.register();
    const answers = await Promise.all(Array.from({ length: 30 }, () => auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(30).fill(200));
    expect(new Set(answers.map((answer) => answer.json.refreshToken)).size).toBe(1);
    const live = await liveTokens(sessionOf(user.accessToken));
    expect(live).toHaveLength(1);
    // Only the live token is kept sealed; spent ones keep nothing but their hash.
    const all = await auth.deps.db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.sessionId, sessionOf(user.accessToken)));
    expect(all.filter((row) => row.sealed !== null).map((row) => row.id)).toEqual(live.map((row) => row.id));
    expect(all.some((row) => row.sealed?.includes(answers[0]?.json.refreshToken))).toBe(false);
  });
});

describe("logout with a spent refresh token (issue 7, finding 11)", () => {
  test("a token rotated 11 s earlier is reuse at logout too: refused, the session revoked as refresh_reuse and audited", async () => {
    const user = await auth.register();
    const sessionId = sessionOf(user.accessToken);
    const rotated = await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } });
    expect(rotated.status).toBe(200);
    auth.advance(11_000);
    const logout = await auth.call("POST", "/auth/logout", { body: { refreshToken: user.refreshToken } });
    expect(logout.status).toBe(401);
    const [session] = await auth.deps.db.select().from(sessions).where(eq(sessions.id, sessionId));
    expect(session?.revokedReason).toBe("refresh_reuse");
    const audited = await auth.deps.db.select().from(auditLog).where(eq(auditLog.userId, user.user.id));
    expect(audited.some((entry) => entry.action === "refresh.reused")).toBe(true);
    expect((await auth.call("POST", "/auth/refresh", { body: { refreshToken: rotated.json.refreshToken } })).status).toBe(401);
    const revoked = await eventually(async () =>
      (await readStream(auth.redis, auth.prefix, "auth.session_revoked")).find((event) => (event.data.sessionIds as string[]).includes(sessionId)),
    );
    expect(revoked.data.reason).toBe("refresh_reuse");
    auth.advance(-11_000);
  });

  test("the live token, or a spent one within the window, still signs out as a logout", async () => {
    for (const spent of [false, true]) {
      const user = await auth.register();
      const rotated = await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } });
      const logout = await auth.call("POST", "/auth/logout", { body: { refreshToken: spent ? user.refreshToken : rotated.json.refreshToken } });
      expect(logout.status).toBe(204);
      const [session] = await auth.deps.db
        .select()
        .from(sessions)
        .where(eq(sessions.id, sessionOf(user.accessToken)));
      expect(session?.revokedReason).toBe("logout");
    }
  });
});

describe("auth_time (issue 7, finding 3)", () => {
  test("set by registration and login, kept by refresh, renewed by a password change", async () => {
    const user = await auth.register();
    const registered = decodeJwt(user.accessToken);
    expect(registered.auth_time).toBe(registered.iat);
    let moved = 0;
    const advance = (ms: number) => {
      auth.advance(ms);
      moved += ms;
    };
    advance(60_000);
    try {
      const refreshed = await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } });
      const claims = decodeJwt(refreshed.json.accessToken);
      expect(claims.auth_time).toBe(registered.auth_time);
      expect(claims.iat).toBeGreaterThanOrEqual((registered.iat as number) + 60);
      const login = await auth.call("POST", "/auth/login", { body: { email: user.email, password: user.password } });
      expect(decodeJwt(login.json.accessToken).auth_time).toBeGreaterThanOrEqual((registered.auth_time as number) + 60);

      advance(60_000);
      const changed = await auth.call("POST", "/auth/password/change", {
        token: refreshed.json.accessToken,
        body: { currentPassword: user.password, newPassword: "another perfectly fine password" },
      });
      expect(changed.status).toBe(204);
      const after = await auth.call("POST", "/auth/refresh", { body: { refreshToken: refreshed.json.refreshToken } });
      expect(decodeJwt(after.json.accessToken).auth_time).toBeGreaterThanOrEqual((registered.auth_time as number) + 120);
    } finally {
      auth.advance(-moved);
    }
  });
});
