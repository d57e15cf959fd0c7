import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createEventBus } from "@lodge/events";
import { ACCESS_TOKEN_TTL_SECONDS, ApiError, authenticate, createLogger, remoteKeys, watchRevokedSessions } from "@lodge/kit";
import { createTestRedis, eventually, startTestIssuer, type TestIssuer } from "@lodge/kit/testing";
import { decodeJwt, decodeProtectedHeader } from "jose";

/**
 * The test issuer stands in for the auth service in other services' tests, so it must be held to
 * the same verification: its tokens pass the kit's guard only with its issuer, audience, published
 * key and lifetime, and are refused (401) otherwise, exactly as auth's own would be.
 */
let issuer: TestIssuer;
let stranger: TestIssuer;
let verify: (token: string, expected?: { issuer?: string; audience?: string }) => ReturnType<typeof authenticate>;

beforeAll(async () => {
  issuer = await startTestIssuer();
  stranger = await startTestIssuer();
  const keys = remoteKeys(issuer.jwksUrl);
  verify = (token, expected = {}) => authenticate({ keys, issuer: expected.issuer ?? "lodge", audience: expected.audience ?? "lodge" }, `Bearer ${token}`);
});
afterAll(async () => {
  await issuer.stop();
  await stranger.stop();
});

/** The 401 message a refused token gets, or "accepted". */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return `${error.status} ${error.message}`;
  }
}

describe("tokens as auth signs them", () => {
  test("a user's token carries auth's claims and header, lives one access-token lifetime, and passes the guard", async () => {
    const alice = await issuer.user();
    expect(decodeProtectedHeader(alice.token)).toEqual({ alg: "EdDSA", kid: expect.any(String), typ: "JWT" });
    const claims = decodeJwt(alice.token);
    expect(Object.keys(claims).sort()).toEqual(["aud", "auth_time", "exp", "iat", "iss", "role", "sid", "sub"]);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(ACCESS_TOKEN_TTL_SECONDS);
    expect(await verify(alice.token)).toEqual({
      kind: "user",
      userId: alice.id,
      sessionId: alice.sessionId,
      role: "user",
      scopes: [],
      token: alice.token,
      authTime: claims.iat as number,
    });
  });

  test("an admin's token has the admin role; a client's has role service and its scopes", async () => {
    expect(await verify((await issuer.admin()).token)).toMatchObject({ kind: "user", role: "admin" });
    const token = await issuer.client("users-service", ["files:read", "files:export"]);
    expect(decodeJwt(token)).toMatchObject({ sub: "users-service", role: "service", scope: "files:read files:export" });
    expect(await verify(token)).toEqual({ kind: "client", clientId: "users-service", role: "service", scopes: ["files:read", "files:export"], token });
  });

  test("ES256 keys sign too (auth's guard accepts both algorithms)", async () => {
    const es = await startTestIssuer({ alg: "ES256" });
    try {
      const token = (await es.user()).token;
      expect(decodeProtectedHeader(token).alg).toBe("ES256");
      expect(await refusal(authenticate({ keys: remoteKeys(es.jwksUrl), issuer: "lodge", audience: "lodge" }, `Bearer ${token}`))).toBe("accepted");
    } finally {
      await es.stop();
    }
  });
});

describe("tokens the guard must refuse", () => {
  test("another issuer or audience, an unpublished key with the published kid, another issuer's key, expiry: each is 401", async () => {
    expect(await refusal(verify((await issuer.user({ issuer: "someone-else" })).token))).toBe("401 Invalid token");
    expect(await refusal(verify((await issuer.user({ audience: "another-api" })).token))).toBe("401 Invalid token");
    expect(await refusal(verify((await issuer.user({ unpublishedKey: true })).token))).toBe("401 Invalid token");
    expect(await refusal(verify((await stranger.user()).token))).toBe("401 Invalid token");
    expect(await refusal(verify(await issuer.client("worker", ["files:read"], { unpublishedKey: true })))).toBe("401 Invalid token");
    const expired = await issuer.user({ issuedAt: new Date(Date.now() - (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000) });
    expect(await refusal(verify(expired.token))).toBe("401 Token expired");
  });

  test("a service configured for another issuer or audience refuses the test issuer's valid tokens", async () => {
    const token = (await issuer.user()).token;
    expect(await refusal(verify(token, { issuer: "lodge-prod" }))).toBe("401 Invalid token");
    expect(await refusal(verify(token, { audience: "lodge-prod" }))).toBe("401 Invalid token");
  });

  test("a session revoked through the bus is refused, as after auth's auth.session_revoked", async () => {
    const { redis, prefix, cleanup } = await createTestRedis();
    const logger = createLogger({ service: "test-issuer", level: "silent" });
    const bus = createEventBus({ redis, logger, prefix });
    const revocations = watchRevokedSessions({ bus, redis, logger, ttlSeconds: ACCESS_TOKEN_TTL_SECONDS, blockMs: 100 });
    try {
      await revocations.ready;
      const guard = { keys: remoteKeys(issuer.jwksUrl), issuer: "lodge", audience: "lodge", revocations };
      const [alice, bob] = await Promise.all([issuer.user(), issuer.user()]);
      expect(await refusal(authenticate(guard, `Bearer ${alice.token}`))).toBe("accepted");
      await issuer.revoke(bus, alice);
      await eventually(() => revocations.isRevoked(alice.sessionId));
      expect(await refusal(authenticate(guard, `Bearer ${alice.token}`))).toBe("401 Session revoked");
      expect(await refusal(authenticate(guard, `Bearer ${bob.token}`))).toBe("accepted");
    } finally {
      await revocations.stop();
      await bus.close();
      await cleanup();
    }
  });
});
