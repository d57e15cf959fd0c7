import { afterAll, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import { createEventBus, type EventBus } from "@lodge/events";
import {
  ApiError,
  type AuthGuardOptions,
  authenticate,
  createApp,
  createGuard,
  createLogger,
  createMetrics,
  remoteKeys,
  watchRevokedSessions,
} from "@lodge/kit";
import { createTestRedis, eventually } from "@lodge/kit/testing";
import { base64url, exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

const issuer = "lodge-test";
const audience = "lodge-api";
const logger = createLogger({ service: "kit-auth-test", level: "silent" });

type Key = { kid: string; alg: "EdDSA" | "ES256"; privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK };

async function makeKey(alg: Key["alg"], kid: string): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

const userId = crypto.randomUUID();
const sessionId = crypto.randomUUID();

/** A token as the auth service issues it; `claims` override (undefined removes a claim). */
function sign(key: Key, claims: JWTPayload = {}, header: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: issuer, aud: audience, sub: userId, sid: sessionId, role: "user", iat: now, exp: now + 900, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header })
    .sign(key.privateKey);
}

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

let ed: Key;
let es: Key;
let served: JWK[] = [];
let jwksFetches = 0;
let jwksServer: ReturnType<typeof Bun.serve>;
let failingJwksServer: ReturnType<typeof Bun.serve>;
let appServer: ReturnType<typeof Bun.serve>;
let appUrl: string;
let keys: AuthGuardOptions["keys"];
let redisCleanup: () => Promise<void>;
let bus: EventBus;
let revocations: ReturnType<typeof watchRevokedSessions>;
let redisPrefix: string;
let redis: Awaited<ReturnType<typeof createTestRedis>>["redis"];

beforeAll(async () => {
  ed = await makeKey("EdDSA", "ed-1");
  es = await makeKey("ES256", "es-1");
  served = [ed.jwk, es.jwk];
  jwksServer = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () => {
      jwksFetches += 1;
      return Response.json({ keys: served });
    },
  });
  failingJwksServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("Bad Gateway", { status: 502 }) });
  keys = remoteKeys(`http://127.0.0.1:${jwksServer.port}/.well-known/jwks.json`);

  const testRedis = await createTestRedis();
  redis = testRedis.redis;
  redisPrefix = testRedis.prefix;
  redisCleanup = testRedis.cleanup;
  bus = createEventBus({ redis, logger, prefix: redisPrefix });
  revocations = watchRevokedSessions({ bus, redis, logger, ttlSeconds: 900 });
  await revocations.ready;

  const guard = createGuard({ keys, issuer, audience, revocations });
  const downGuard = createGuard({ keys: remoteKeys(`http://127.0.0.1:${failingJwksServer.port}/jwks.json`), issuer, audience });
  const metrics = createMetrics("kit-auth-test");
  const app = createApp({ service: "kit-auth-test", logger, metrics, corsOrigins: [], trustedProxies: [], bodyLimitBytes: 1024 });
  const principal = (c: { get: (key: "principal") => { token: string } }) => {
    const { token, ...rest } = c.get("principal");
    return { ...rest, hasToken: token.length > 0 };
  };
  app.get("/any", guard.requireToken(), (c) => c.json(principal(c)));
  app.get("/admin", guard.requireAdmin(), (c) => c.json(principal(c)));
  app.get("/users-read", guard.requireScope("users:read"), (c) => c.json(principal(c)));
  app.get("/users-read-or-admin", guard.requireAdminOrScope("users:read"), (c) => c.json(principal(c)));
  app.get("/down", downGuard.requireToken(), (c) => c.json(principal(c)));
  appServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  appUrl = `http://127.0.0.1:${appServer.port}`;
});

afterAll(async () => {
  await revocations.stop();
  await bus.close();
  await appServer.stop(true);
  await jwksServer.stop(true);
  await failingJwksServer.stop(true);
  await redisCleanup();
});

// biome-ignore lint/suspicious/noExplicitAny: responses are inspected field by field
async function call(path: string, authorization?: string): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(`${appUrl}${path}`, { headers: authorization ? { authorization } : {} });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

async function expectRejected(path: string, authorization: string | undefined, status = 401) {
  const response = await call(path, authorization);
  expect(response.status).toBe(status);
  expect(response.json.error.code).toBe(status === 401 ? "UNAUTHORIZED" : "FORBIDDEN");
  expect(response.json.error.requestId).toBe(response.headers.get("x-request-id"));
  return response;
}

describe("valid tokens", () => {
  test("an EdDSA user token passes and sets the principal", async () => {
    const response = await call("/any", `Bearer ${await sign(ed)}`);
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ kind: "user", userId, sessionId, role: "user", scopes: [], hasToken: true });
  });

  test("an ES256 user token passes", async () => {
    const response = await call("/any", `Bearer ${await sign(es)}`);
    expect(response.status).toBe(200);
    expect(response.json.userId).toBe(userId);
  });

  test("the scheme is case-insensitive", async () => {
    expect((await call("/any", `bearer ${await sign(ed)}`)).status).toBe(200);
  });

  test("authenticate returns the principal with the raw token", async () => {
    const token = await sign(ed, { role: "admin" });
    const principal = await authenticate({ keys, issuer, audience }, `Bearer ${token}`);
    expect(principal).toEqual({ kind: "user", userId, sessionId, role: "admin", scopes: [], token });
  });
});

describe("invalid tokens are 401 in the error shape", () => {
  test("missing or malformed Authorization", async () => {
    const token = await sign(ed);
    for (const header of [undefined, "", "Bearer", "Bearer ", `Basic ${btoa("a:b")}`, `Token ${token}`, `Bearer ${token} extra`, `Bearer  ${token}\u00a0`]) {
      await expectRejected("/any", header);
    }
  });

  test("garbage", async () => {
    for (const garbage of ["garbage", "a.b.c", "a.b", "....", `${encode({ alg: "EdDSA", kid: "ed-1" })}.${encode("x")}.AAAA`, `${encode([])}.${encode({})}.`]) {
      const response = await expectRejected("/any", `Bearer ${garbage}`);
      expect(response.json.error.message).toBe("Invalid token");
    }
  });

  test("a forged signature: another key claiming the same kid", async () => {
    const impostor = await makeKey("EdDSA", ed.kid);
    await expectRejected("/any", `Bearer ${await sign(impostor)}`);
    const impostorEs = await makeKey("ES256", es.kid);
    await expectRejected("/any", `Bearer ${await sign(impostorEs)}`);
  });

  test("a tampered payload", async () => {
    const [header, , signature] = (await sign(ed)).split(".");
    const now = Math.floor(Date.now() / 1000);
    const escalated = encode({ iss: issuer, aud: audience, sub: userId, sid: sessionId, role: "admin", iat: now, exp: now + 900 });
    await expectRejected("/any", `Bearer ${header}.${escalated}.${signature}`);
  });

  test("expired", async () => {
    const now = Math.floor(Date.now() / 1000);
    const response = await expectRejected("/any", `Bearer ${await sign(ed, { iat: now - 1000, exp: now - 100 })}`);
    expect(response.json.error.message).toBe("Token expired");
  });

  test("not yet valid", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRejected("/any", `Bearer ${await sign(ed, { nbf: now + 600 })}`);
  });

  test("wrong audience or issuer", async () => {
    await expectRejected("/any", `Bearer ${await sign(ed, { aud: "another-api" })}`);
    await expectRejected("/any", `Bearer ${await sign(ed, { aud: undefined })}`);
    await expectRejected("/any", `Bearer ${await sign(ed, { iss: "someone-else" })}`);
    await expectRejected("/any", `Bearer ${await sign(ed, { iss: undefined })}`);
  });

  test("alg: none", async () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = encode({ iss: issuer, aud: audience, sub: userId, sid: sessionId, role: "admin", iat: now, exp: now + 900 });
    for (const alg of ["none", "None", "NONE"]) {
      await expectRejected("/any", `Bearer ${encode({ alg, typ: "JWT" })}.${payload}.`);
      await expectRejected("/any", `Bearer ${encode({ alg, typ: "JWT", kid: ed.kid })}.${payload}.`);
    }
  });

  test("HS256 signed with the public key's bytes (key confusion)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer, aud: audience, sub: userId, sid: sessionId, role: "admin", iat: now, exp: now + 900 };
    const secrets = [
      base64url.decode(ed.jwk.x as string),
      new TextEncoder().encode(JSON.stringify(ed.jwk)),
      new TextEncoder().encode(await exportSPKI(es.publicKey)),
    ];
    for (const secret of secrets) {
      for (const kid of [ed.kid, es.kid]) {
        const forged = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid, typ: "JWT" }).sign(secret);
        await expectRejected("/any", `Bearer ${forged}`);
      }
    }
  });

  test("a token that is neither a user session nor a service client", async () => {
    await expectRejected("/any", `Bearer ${await sign(ed, { sid: undefined })}`);
    await expectRejected("/any", `Bearer ${await sign(ed, { role: "superuser" })}`);
    await expectRejected("/any", `Bearer ${await sign(ed, { role: undefined })}`);
    await expectRejected("/any", `Bearer ${await sign(ed, { sub: undefined })}`);
    await expectRejected("/any", `Bearer ${await sign(ed, { sub: 42 as unknown as string })}`);
  });
});

describe("roles and scopes", () => {
  const client = (scope?: string) => sign(ed, { sub: "reporting", sid: undefined, role: "service", ...(scope === undefined ? {} : { scope }) });

  test("admin-only routes reject a user token with 403 and accept an admin", async () => {
    await expectRejected("/admin", `Bearer ${await sign(ed)}`, 403);
    const admin = await call("/admin", `Bearer ${await sign(ed, { role: "admin" })}`);
    expect(admin.status).toBe(200);
    expect(admin.json.role).toBe("admin");
  });

  test("a service client token is a client principal with its scopes", async () => {
    const response = await call("/any", `Bearer ${await client("users:read  files:write")}`);
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ kind: "client", clientId: "reporting", role: "service", scopes: ["users:read", "files:write"], hasToken: true });
  });

  test("scope checks", async () => {
    expect((await call("/users-read", `Bearer ${await client("users:read")}`)).status).toBe(200);
    await expectRejected("/users-read", `Bearer ${await client("files:write")}`, 403);
    await expectRejected("/users-read", `Bearer ${await client()}`, 403);
    // Scope names are compared whole, not as prefixes.
    await expectRejected("/users-read", `Bearer ${await client("users:readonly users")}`, 403);
    // A user has no scopes: a scope-only route is for clients.
    await expectRejected("/users-read", `Bearer ${await sign(ed)}`, 403);
    await expectRejected("/users-read", `Bearer ${await sign(ed, { role: "admin", scope: "users:read" })}`, 403);
  });

  test("roles and scopes together admit either", async () => {
    expect((await call("/users-read-or-admin", `Bearer ${await client("users:read")}`)).status).toBe(200);
    expect((await call("/users-read-or-admin", `Bearer ${await sign(ed, { role: "admin" })}`)).status).toBe(200);
    await expectRejected("/users-read-or-admin", `Bearer ${await sign(ed)}`, 403);
    await expectRejected("/users-read-or-admin", `Bearer ${await client("files:write")}`, 403);
  });

  test("a client never passes a role check", async () => {
    await expectRejected("/admin", `Bearer ${await client("users:read admin")}`, 403);
  });
});

describe("key rotation and an unreachable key set", () => {
  test("an unknown kid refetches the key set once the cooldown has passed", async () => {
    expect((await call("/any", `Bearer ${await sign(ed)}`)).status).toBe(200);
    const fetchesBefore = jwksFetches;
    // Known keys are served from the cache.
    expect((await call("/any", `Bearer ${await sign(es)}`)).status).toBe(200);
    expect(jwksFetches).toBe(fetchesBefore);

    const rotated = await makeKey("EdDSA", "ed-2");
    served = [rotated.jwk, ed.jwk, es.jwk];
    // Move the clock past jose's refetch cooldown (5 s) instead of sleeping through it.
    setSystemTime(new Date(Date.now() + 6_000));
    try {
      const response = await call("/any", `Bearer ${await sign(rotated)}`);
      expect(response.status).toBe(200);
      expect(jwksFetches).toBe(fetchesBefore + 1);
      // A kid that is nowhere stays a 401 (not a 503).
      setSystemTime(new Date(Date.now() + 6_000));
      await expectRejected("/any", `Bearer ${await sign(await makeKey("EdDSA", "never-published"))}`);
    } finally {
      setSystemTime();
    }
  });

  test("a key removed from the set stops working once the set is refetched", async () => {
    const retired = await makeKey("ES256", "es-retired");
    served = [...served, retired.jwk];
    setSystemTime(new Date(Date.now() + 20_000));
    try {
      expect((await call("/any", `Bearer ${await sign(retired, { exp: Math.floor(Date.now() / 1000) + 3600 })}`)).status).toBe(200);
      served = served.filter((jwk) => jwk.kid !== retired.kid);
      // Past the cache's maximum age (10 minutes) the set is fetched again.
      setSystemTime(new Date(Date.now() + 11 * 60_000));
      await expectRejected("/any", `Bearer ${await sign(retired)}`);
    } finally {
      setSystemTime();
    }
  });

  test("a token already verified is refused once its key has left the set and the set is refreshed (not served from the cache)", async () => {
    const removed = await makeKey("EdDSA", "ed-removed");
    served = [...served, removed.jwk];
    // Past the earlier tests' fetches (made at moved clocks), so the unknown kid refetches the set.
    setSystemTime(new Date(Date.now() + 30 * 60_000));
    try {
      // One token, used again and again: after its first use it is served from the verified-token cache.
      const token = `Bearer ${await sign(removed, { exp: Math.floor(Date.now() / 1000) + 3600 })}`;
      expect((await call("/any", token)).status).toBe(200);
      expect((await call("/any", token)).status).toBe(200);
      served = served.filter((jwk) => jwk.kid !== removed.kid);
      // Past the cache's maximum age (10 minutes) the key set is fetched again on the next lookup.
      const fetchesBefore = jwksFetches;
      setSystemTime(new Date(Date.now() + 11 * 60_000));
      const refused = await expectRejected("/any", token);
      expect(refused.json.error.message).toBe("Invalid token");
      expect(jwksFetches).toBeGreaterThan(fetchesBefore);
    } finally {
      setSystemTime();
    }
  });

  test("a key set that cannot be fetched is a 503 with Retry-After, not a 401", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const closedUrl = `http://127.0.0.1:${closed.port}/jwks.json`;
    await closed.stop(true);
    const token = `Bearer ${await sign(ed)}`;
    const refused = authenticate({ keys: remoteKeys(closedUrl), issuer, audience }, token);
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(refused).rejects.toMatchObject({ code: "UNAVAILABLE", status: 503 });

    // The auth service down behind a proxy answers 502: the key set is unavailable, the token is not invalid.
    const response = await call("/down", token);
    expect(response.status).toBe(503);
    expect(response.json.error.code).toBe("UNAVAILABLE");
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("a key set that does not answer in time is a 503", async () => {
    let answer: () => void = () => {};
    const hanging = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        new Promise<Response>((resolve) => {
          answer = () => resolve(new Response());
        }),
    });
    try {
      // remoteKeys gives up after 3 s.
      const rejected = authenticate({ keys: remoteKeys(`http://127.0.0.1:${hanging.port}/jwks.json`), issuer, audience }, `Bearer ${await sign(ed)}`);
      await expect(rejected).rejects.toMatchObject({ code: "UNAVAILABLE" });
    } finally {
      answer();
      await hanging.stop(true);
    }
  });

  test("a key set that is not JSON is a 503", async () => {
    const html = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("<html>maintenance</html>") });
    try {
      const rejected = authenticate({ keys: remoteKeys(`http://127.0.0.1:${html.port}/jwks.json`), issuer, audience }, `Bearer ${await sign(ed)}`);
      await expect(rejected).rejects.toMatchObject({ code: "UNAVAILABLE" });
    } finally {
      await html.stop(true);
    }
  });
});

describe("revoked sessions", () => {
  const revoke = (sessionIds: string[]) => bus.publish("auth.session_revoked", { userId, sessionIds, reason: "logout" });

  test("a revoked session's tokens are rejected, other sessions' are not", async () => {
    const revokedSid = crypto.randomUUID();
    const otherSid = crypto.randomUUID();
    const revokedToken = `Bearer ${await sign(ed, { sid: revokedSid })}`;
    const otherToken = `Bearer ${await sign(ed, { sid: otherSid })}`;
    expect((await call("/any", revokedToken)).status).toBe(200);

    await revoke([revokedSid]);
    const rejected = await eventually(async () => {
      const response = await call("/any", revokedToken);
      return response.status === 401 ? response : undefined;
    });
    expect(rejected.json.error.message).toBe("Session revoked");
    expect((await call("/any", otherToken)).status).toBe(200);
  });

  test("revocations published before the watcher started are honoured", async () => {
    const earlierSid = crypto.randomUUID();
    const laterSid = crypto.randomUUID();
    await revoke([earlierSid, crypto.randomUUID()]);
    const late = watchRevokedSessions({ bus, redis, logger, ttlSeconds: 900 });
    try {
      const options = { keys, issuer, audience, revocations: late };
      await eventually(() => late.isRevoked(earlierSid));
      await expect(authenticate(options, `Bearer ${await sign(ed, { sid: earlierSid })}`)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
      expect(late.isRevoked(laterSid)).toBe(false);
      await revoke([laterSid]);
      await eventually(() => late.isRevoked(laterSid));
      // A client token has no session and is unaffected.
      const client = await authenticate(options, `Bearer ${await sign(ed, { sub: "reporting", sid: undefined, role: "service" })}`);
      expect(client.kind).toBe("client");
    } finally {
      await late.stop();
    }
  });

  test("revocations older than the token lifetime are not replayed", async () => {
    // A stream of its own, so an entry can be written with an old id.
    const oldBus = createEventBus({ redis, logger, prefix: `${redisPrefix}old:` });
    const ancientSid = crypto.randomUUID();
    const recentSid = crypto.randomUUID();
    const twoHoursAgo = Date.now() - 2 * 3600_000;
    const ancient = {
      id: crypto.randomUUID(),
      type: "auth.session_revoked",
      occurredAt: new Date(twoHoursAgo).toISOString(),
      data: { userId, sessionIds: [ancientSid], reason: "logout" },
    };
    await redis.xadd(oldBus.streamKey("auth.session_revoked"), `${twoHoursAgo}-0`, "event", JSON.stringify(ancient));
    await oldBus.publish("auth.session_revoked", { userId, sessionIds: [recentSid], reason: "logout" });
    const watcher = watchRevokedSessions({ bus: oldBus, redis, logger, ttlSeconds: 900 });
    try {
      await eventually(() => watcher.isRevoked(recentSid));
      expect(watcher.isRevoked(ancientSid)).toBe(false);
    } finally {
      await watcher.stop();
      await oldBus.close();
    }
  });

  test("an unreadable revocation entry is skipped, later ones still apply", async () => {
    const sid = crypto.randomUUID();
    await redis.xadd(bus.streamKey("auth.session_revoked"), "*", "event", "{not json");
    await redis.xadd(bus.streamKey("auth.session_revoked"), "*", "event", JSON.stringify({ type: "auth.session_revoked", data: { sessionIds: ["x"] } }));
    await revoke([sid]);
    await eventually(() => revocations.isRevoked(sid));
  });
});

describe("verified tokens are remembered, not trusted blindly", () => {
  test("a token accepted once is still refused once it expires or its session is revoked", async () => {
    const sid = crypto.randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(ed, { sid, exp: now + 60 });
    expect((await call("/any", `Bearer ${token}`)).status).toBe(200);
    expect((await call("/any", `Bearer ${token}`)).status).toBe(200);
    setSystemTime(new Date((now + 61) * 1000));
    try {
      const expired = await expectRejected("/any", `Bearer ${token}`);
      expect(expired.json.error.message).toBe("Token expired");
    } finally {
      setSystemTime();
    }
    const other = await sign(ed, { sid: crypto.randomUUID() });
    expect((await call("/any", `Bearer ${other}`)).status).toBe(200);
    const otherSid = JSON.parse(Buffer.from(other.split(".")[1] as string, "base64url").toString()).sid as string;
    await bus.publish("auth.session_revoked", { userId, sessionIds: [otherSid], reason: "logout" });
    await eventually(async () => (await call("/any", `Bearer ${other}`)).status === 401);
  });
});
