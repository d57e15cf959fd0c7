import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { signingKeys } from "@lodge/db/schema";
import { createTestDatabase } from "@lodge/db/testing";
import { createEventBus } from "@lodge/events";
import { createApp, createGuard, createLogger, createMetrics, remoteKeys, watchRevokedSessions } from "@lodge/kit";
import { eventually } from "@lodge/kit/testing";
import { decodeProtectedHeader } from "jose";
import { createKeyStore } from "../src/helpers/keys";
import { createSealer } from "../src/helpers/sealing";
import { createAdmin } from "../src/services/create-admin";
import { registerClient } from "../src/services/register-client";
import { runMaintenance } from "../src/services/run-maintenance";
import { startTestAuth, type TestAuth } from "./harness";

const CLIENT_SECRET = "s3cret-s3cret-s3cret-s3cret-32chars";
let auth: TestAuth;
beforeAll(async () => {
  auth = await startTestAuth({ AUTH_CLIENTS: `mailer:${CLIENT_SECRET}:users:read notifications:send` });
});
afterAll(() => auth.close());

/** Another service, as every Lodge service will be: the kit's guard against the auth service's JWKS. */
async function otherService() {
  const logger = createLogger({ service: "other", level: "silent" });
  const bus = createEventBus({ redis: auth.redis, logger, prefix: auth.prefix });
  const revocations = watchRevokedSessions({ bus, redis: auth.redis, logger, ttlSeconds: 900 });
  await revocations.ready;
  const guard = createGuard({ keys: remoteKeys(`${auth.url}/.well-known/jwks.json`), issuer: "lodge", audience: "lodge", revocations });
  const app = createApp({ service: "other", logger, metrics: createMetrics("other"), corsOrigins: [], trustedProxies: [], bodyLimitBytes: 1024 });
  app.get("/whoami", guard.requireToken(), (c) => c.json(c.get("principal")));
  app.get("/admin", guard.requireAdmin(), (c) => c.json({ ok: true }));
  app.get("/send", guard.requireScope("notifications:send"), (c) => c.json({ ok: true }));
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  const call = async (path: string, token: string) => {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  return {
    call,
    close: async () => {
      await server.stop(true);
      await revocations.stop();
    },
  };
}

describe("revocation reaches other services", () => {
  test("a revoked session's access token fails at another service without any call to auth per request", async () => {
    const other = await otherService();
    try {
      const user = await auth.register();
      expect((await other.call("/whoami", user.accessToken)).json).toMatchObject({ kind: "user", userId: user.user.id, role: "user" });
      expect((await other.call("/admin", user.accessToken)).status).toBe(403);
      expect((await auth.call("POST", "/auth/logout", { token: user.accessToken })).status).toBe(204);
      await eventually(async () => (await other.call("/whoami", user.accessToken)).status === 401);
    } finally {
      await other.close();
    }
  });
});

describe("signing keys", () => {
  test("rotation publishes the new key first, signs with it after the delay, and keeps the old key until its tokens expire", async () => {
    const before = await auth.register();
    const oldKid = decodeProtectedHeader(before.accessToken).kid;
    const newKid = await auth.deps.keys.rotate();
    const jwks = async () => ((await auth.call("GET", "/.well-known/jwks.json")).json.keys as { kid: string }[]).map((key) => key.kid);
    expect(await jwks()).toEqual(expect.arrayContaining([oldKid, newKid]));
    // Not yet: the new key is only published.
    expect(decodeProtectedHeader((await auth.register()).accessToken).kid).toBe(oldKid);
    auth.advance(31_000);
    const after = await auth.register();
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKid);
    // Both tokens verify, here and at another service.
    const other = await otherService();
    try {
      expect((await other.call("/whoami", after.accessToken)).status).toBe(200);
      expect((await auth.call("GET", "/auth/me", { token: before.accessToken })).status).toBe(200);
    } finally {
      await other.close();
    }
    // Once every token the old key signed has expired, it leaves the JWKS and maintenance deletes it.
    auth.advance(16 * 60 * 1000);
    expect(await jwks()).toEqual([newKid]);
    const removed = await runMaintenance({ ctx: { deps: auth.deps, logger: auth.deps.logger } });
    expect(removed.retiredKeys).toBe(1);
    auth.advance(-(31_000 + 16 * 60 * 1000));
  });
});

describe("signing keys at rest", () => {
  test("private keys are stored sealed, bound to the secret: another secret cannot sign with them", async () => {
    const rows = await auth.deps.db.select().from(signingKeys);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.privateJwk).toMatchObject({ sealed: "A256GCM" });
      expect(JSON.stringify(row.privateJwk)).not.toContain('"d"');
    }
    const stranger = createKeyStore({
      db: auth.deps.db,
      clock: () => new Date(),
      publishDelaySeconds: 30,
      accessTtlSeconds: 900,
      sealer: createSealer("x".repeat(40)),
    });
    try {
      await stranger.ensureKey();
      await expect(
        stranger.sign({ sid: crypto.randomUUID(), role: "user" }, { subject: crypto.randomUUID(), issuer: "lodge", audience: "lodge", ttlSeconds: 60 }),
      ).rejects.toThrow();
    } finally {
      stranger.stop();
    }
  });
});

describe("client credentials", () => {
  test("an env client gets a service token with the scopes it asks for", async () => {
    const issued = await auth.call("POST", "/auth/token", { body: { clientId: "mailer", clientSecret: CLIENT_SECRET, scope: "notifications:send" } });
    expect(issued.status).toBe(200);
    expect(issued.json).toMatchObject({ tokenType: "Bearer", expiresIn: 900, scope: "notifications:send" });
    const other = await otherService();
    try {
      expect((await other.call("/send", issued.json.accessToken)).status).toBe(200);
      expect((await other.call("/whoami", issued.json.accessToken)).json).toMatchObject({ kind: "client", clientId: "mailer" });
      expect((await other.call("/admin", issued.json.accessToken)).status).toBe(403);
      const narrow = await auth.call("POST", "/auth/token", { body: { clientId: "mailer", clientSecret: CLIENT_SECRET, scope: "users:read" } });
      expect((await other.call("/send", narrow.json.accessToken)).status).toBe(403);
    } finally {
      await other.close();
    }
  });

  test("wrong secret, unknown client and a scope beyond the client's are refused", async () => {
    expect((await auth.call("POST", "/auth/token", { body: { clientId: "mailer", clientSecret: `${CLIENT_SECRET}x` } })).status).toBe(401);
    expect((await auth.call("POST", "/auth/token", { body: { clientId: "ghost", clientSecret: CLIENT_SECRET } })).status).toBe(401);
    const beyond = await auth.call("POST", "/auth/token", { body: { clientId: "mailer", clientSecret: CLIENT_SECRET, scope: "users:delete" } });
    expect(beyond.status).toBe(403);
    expect(beyond.json.error.details).toEqual({ refused: ["users:delete"] });
  });

  test("a client created by the admin command works and its secret is stored hashed", async () => {
    const created = await registerClient({
      ctx: { deps: auth.deps, logger: auth.deps.logger },
      input: { clientId: "bot", name: "Telegram bot", scopes: ["users:read"] },
    });
    const issued = await auth.call("POST", "/auth/token", { body: { clientId: "bot", clientSecret: created.clientSecret } });
    expect(issued.status).toBe(200);
    expect(issued.json.scope).toBe("users:read");
  });
});

describe("admins", () => {
  test("admin:create makes an admin whose token carries the role; promoting is audited", async () => {
    const ctx = { deps: auth.deps, logger: auth.deps.logger };
    await createAdmin({ ctx, input: { email: "root@example.com", password: "the admin password" } });
    const login = await auth.call("POST", "/auth/login", { body: { email: "root@example.com", password: "the admin password" } });
    expect(login.json.user.role).toBe("admin");
    const other = await otherService();
    try {
      expect((await other.call("/admin", login.json.accessToken)).status).toBe(200);
    } finally {
      await other.close();
    }
    const user = await auth.register();
    const promoted = await createAdmin({ ctx, input: { email: user.email, password: "ignored for existing" } });
    expect(promoted.created).toBe(false);
    const relogin = await auth.call("POST", "/auth/login", { body: { email: user.email, password: user.password } });
    expect(relogin.json.user.role).toBe("admin");
  });

  test("the CLI runs against a real database", async () => {
    const database = await createTestDatabase();
    try {
      const child = Bun.spawn(["bun", "run", "src/cli.ts", "admin:create", "cli-admin@example.com", "CLI"], {
        cwd: `${import.meta.dir}/..`,
        env: {
          ...process.env,
          DATABASE_URL: database.url,
          REDIS_URL: "redis://127.0.0.1:6379",
          REDIS_PREFIX: auth.prefix,
          ADMIN_PASSWORD: "cli admin password",
        },
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(await child.exited).toBe(0);
      expect(await new Response(child.stdout).text()).toContain("admin cli-admin@example.com created");
      const bad = Bun.spawn(["bun", "run", "src/cli.ts", "admin:create", "not-an-email"], {
        cwd: `${import.meta.dir}/..`,
        env: {
          ...process.env,
          DATABASE_URL: database.url,
          REDIS_URL: "redis://127.0.0.1:6379",
          REDIS_PREFIX: auth.prefix,
          ADMIN_PASSWORD: "cli admin password",
        },
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(await bad.exited).toBe(2);
    } finally {
      await database.drop();
    }
  });
});
