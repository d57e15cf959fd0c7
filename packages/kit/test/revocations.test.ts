import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createEventBus, type EventBus } from "@lodge/events";
import { authenticate, connectRedis, createLogger, type Redis, watchRevokedSessions } from "@lodge/kit";
import { type createTcpProxy, createTestRedis, eventually, proxyFor } from "@lodge/kit/testing";
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";

/**
 * The revoked-session watch reaches Redis through a proxy the test cuts or hangs, while revocations
 * are published straight to Redis (as auth's outbox does, whenever it can). Both clocks are the
 * test's: `wall` (compared with tokens' iat) and `mono` (how overdue a read is, how long a settling lasts).
 */
const logger = createLogger({ service: "kit-revocations-test", level: "silent" });
const issuer = "lodge";
const audience = "lodge";
const blockMs = 100;
const maxLagMs = 1000;

let testRedis: Awaited<ReturnType<typeof createTestRedis>>;
let proxy: ReturnType<typeof createTcpProxy>;
let proxied: Redis;
let bus: EventBus;
let watch: ReturnType<typeof watchRevokedSessions>;
let privateKey: CryptoKey;
let keys: ReturnType<typeof createLocalJWKSet>;
// Whole seconds, so a token issued "now" has iat * 1000 equal to the wall clock.
let wall = Math.ceil(Date.now() / 1000) * 1000;
let mono = 0;

beforeAll(async () => {
  testRedis = await createTestRedis();
  proxy = proxyFor();
  proxied = await connectRedis(`redis://127.0.0.1:${proxy.port}`);
  bus = createEventBus({ redis: testRedis.redis, logger, prefix: testRedis.prefix });
  const pair = await generateKeyPair("EdDSA", { extractable: true });
  privateKey = pair.privateKey;
  keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "EdDSA" }] });
  watch = watchRevokedSessions({
    bus,
    redis: proxied,
    logger,
    ttlSeconds: 900,
    maxLagMs,
    blockMs,
    clock: () => new Date(wall),
    elapsed: () => mono,
  });
  await watch.ready;
});

afterAll(async () => {
  proxy.restore();
  await watch.stop();
  await bus.close();
  proxied.disconnect();
  proxy.stop();
  await testRedis.cleanup();
});

/** A user token of a new session issued at the wall clock's `issuedAtMs` (default now). */
async function userToken(issuedAtMs = wall) {
  const sessionId = crypto.randomUUID();
  const iat = Math.floor(issuedAtMs / 1000);
  const token = await sign({ sub: crypto.randomUUID(), sid: sessionId, role: "user", iat });
  return { sessionId, token };
}

function sign(claims: JWTPayload) {
  const iat = claims.iat ?? Math.floor(wall / 1000);
  return new SignJWT({ iss: issuer, aud: audience, exp: iat + 900, ...claims, iat }).setProtectedHeader({ alg: "EdDSA", kid: "k1" }).sign(privateKey);
}

/** What the guard answers: "ok", or the error code. */
async function verdict(token: string): Promise<string> {
  try {
    await authenticate({ keys, issuer, audience, revocations: watch, clock: () => new Date(wall) }, `Bearer ${token}`);
    return "ok";
  } catch (error) {
    return (error as { code: string }).code;
  }
}

const revoke = (sessionId: string) => bus.publish("auth.session_revoked", { userId: crypto.randomUUID(), sessionIds: [sessionId], reason: "logout" });

describe("the watch is not caught up", () => {
  test("Redis cut: user tokens are 503, never accepted; a revocation written meanwhile applies as soon as the watch is back", async () => {
    const old = await userToken(wall - 60_000);
    const other = await userToken(wall - 60_000);
    expect(await verdict(old.token)).toBe("ok");

    proxy.cut();
    await eventually(async () => (await verdict(other.token)) === "UNAVAILABLE");
    expect(watch.caughtUp()).toBe(false);
    // Revoked while the watch cannot see it: refused (503), not accepted.
    await revoke(old.sessionId);
    expect(await verdict(old.token)).toBe("UNAVAILABLE");
    // A service's client token has no session: nothing in the stream can revoke it, it passes.
    const client = await sign({ sub: "reporting", role: "service", scope: "users:read" });
    expect(await verdict(client)).toBe("ok");

    wall += 10_000;
    proxy.restore();
    // Caught up without a restart: a token issued from now on works at once.
    const fresh = await userToken();
    await eventually(async () => {
      const answer = await verdict(old.token);
      expect(answer).not.toBe("ok");
      return answer === "UNAUTHORIZED";
    });
    expect(await verdict(fresh.token)).toBe("ok");
    expect(watch.caughtUp()).toBe(true);
    // A token from before the gap whose revocation may still be on its way (from an outbox that
    // publishes only once Redis is back) waits out the allowed lag...
    expect(await verdict(other.token)).toBe("UNAVAILABLE");
    const late = await userToken(wall - 60_000);
    await revoke(late.sessionId);
    await eventually(() => watch.isRevoked(late.sessionId));
    expect(await verdict(late.token)).toBe("UNAUTHORIZED");
    // ...and then works again.
    mono += maxLagMs;
    expect(await verdict(other.token)).toBe("ok");
  });

  test("a read overdue beyond the allowed lag (a hung connection): 503 until the watch has caught up again", async () => {
    const old = await userToken(wall - 60_000);
    expect(await verdict(old.token)).toBe("ok");
    // A read has just returned: the list is complete as of the current `mono`.
    const marker = crypto.randomUUID();
    await revoke(marker);
    await eventually(() => watch.isRevoked(marker));
    proxy.hang();
    // Within the allowed lag the list still vouches; past it, it does not.
    mono += blockMs + maxLagMs - 1;
    expect(await verdict(old.token)).toBe("ok");
    mono += 2;
    expect(await verdict(old.token)).toBe("UNAVAILABLE");

    wall += 10_000;
    proxy.restore();
    const fresh = await userToken();
    await eventually(async () => (await verdict(fresh.token)) === "ok");
    expect(await verdict(old.token)).toBe("UNAVAILABLE");
    mono += maxLagMs;
    expect(await verdict(old.token)).toBe("ok");
  });
});

describe("onRevoked", () => {
  test("tells each listener the session ids of every revocation read, until it unsubscribes", async () => {
    const heard: string[][] = [];
    const unsubscribe = watch.onRevoked((sessionIds) => heard.push(sessionIds));
    const first = crypto.randomUUID();
    await revoke(first);
    await eventually(() => heard.some((sessionIds) => sessionIds.includes(first)));
    unsubscribe();
    const second = crypto.randomUUID();
    await revoke(second);
    await eventually(() => watch.isRevoked(second));
    expect(heard.flat()).not.toContain(second);
  });
});
