import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { auditLog, oneTimeTokens, sessions, users } from "@lodge/db/schema";
import { eventually, readStream } from "@lodge/kit/testing";
import { eq, or } from "drizzle-orm";
import { decodeJwt } from "jose";
import { openSession } from "../src/helpers/sessions";
import { createAdmin } from "../src/services/create-admin";
import { startTestAuth, type TestAuth } from "./harness";

const CLIENT_SECRET = "user-service-secret-0123456789abcdef";
let auth: TestAuth;
let admin: { id: string; token: string };
let clientToken: string;
beforeAll(async () => {
  auth = await startTestAuth({ AUTH_CLIENTS: `user-service:${CLIENT_SECRET}:auth:verify_password users:export;narrow:${CLIENT_SECRET}:files:write` });
  const credentials = { email: "admin@example.com", password: "an admin password" };
  const created = await createAdmin({ ctx: { deps: auth.deps, logger: auth.deps.logger }, input: credentials });
  admin = { id: created.userId, token: (await auth.call("POST", "/auth/login", { body: credentials })).json.accessToken };
  clientToken = (await auth.call("POST", "/auth/token", { body: { clientId: "user-service", clientSecret: CLIENT_SECRET } })).json.accessToken;
});
afterAll(() => auth.close());

function published(type: string, match: (data: Record<string, unknown>) => boolean) {
  return eventually(async () => (await readStream(auth.redis, auth.prefix, type)).findLast((event) => match(event.data)));
}

async function audit(userId: string) {
  return auth.deps.db.select().from(auditLog).where(eq(auditLog.userId, userId));
}

describe("roles", () => {
  test("an admin promotes a user (from their next refresh) and demotes them (their sessions end at once), audited with the actor", async () => {
    const user = await auth.register();
    const path = `/auth/users/${user.user.id}/role`;
    const promoted = await auth.call("PATCH", path, { token: admin.token, body: { role: "admin" } });
    expect(promoted.status).toBe(200);
    expect(promoted.json.user).toMatchObject({ id: user.user.id, role: "admin", bannedAt: null });
    expect((await published("auth.role_changed", (data) => data.userId === user.user.id)).data.role).toBe("admin");
    const refreshed = await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } });
    expect(refreshed.json.user.role).toBe("admin");
    const other = await auth.register();
    expect((await auth.call("PATCH", `/auth/users/${other.user.id}/role`, { token: refreshed.json.accessToken, body: { role: "user" } })).status).toBe(200);

    const demoted = await auth.call("PATCH", path, { token: admin.token, body: { role: "user" } });
    expect(demoted.json.user.role).toBe("user");
    await eventually(async () => (await auth.call("GET", "/auth/me", { token: refreshed.json.accessToken })).status === 401);
    const entries = (await audit(user.user.id)).filter((entry) => entry.action === "role.changed");
    expect(entries.map((entry) => [entry.actorId, entry.details])).toEqual([
      [admin.id, { from: "user", to: "admin" }],
      [admin.id, { from: "admin", to: "user" }],
    ]);
  });

  test("a login racing a demotion signs the role its locked row holds, not the one read before the password check (issue 7, finding 4)", async () => {
    const user = await auth.register();
    expect((await auth.call("PATCH", `/auth/users/${user.user.id}/role`, { token: admin.token, body: { role: "admin" } })).status).toBe(200);
    // The row as login reads it before checking the password: still an admin.
    const [stale] = await auth.deps.db.select().from(users).where(eq(users.id, user.user.id));
    expect(stale?.role).toBe("admin");
    // The demotion lands between the password check and the session opening.
    expect((await auth.call("PATCH", `/auth/users/${user.user.id}/role`, { token: admin.token, body: { role: "user" } })).status).toBe(200);
    const opened = await openSession({
      ctx: { deps: auth.deps, logger: auth.deps.logger },
      user: stale as NonNullable<typeof stale>,
      audit: "login.succeeded",
    });
    if (opened.kind !== "ok") throw new Error(`expected a session, got ${opened.kind}`);
    expect(decodeJwt(opened.tokens.accessToken).role).toBe("user");
    expect(opened.tokens.user.role).toBe("user");
    // And the token cannot act as an admin (ban the admin who demoted them).
    const ban = await auth.call("POST", `/auth/users/${admin.id}/ban`, { token: opened.tokens.accessToken, body: { reason: "revenge" } });
    expect(ban.status).toBe(403);
  });

  test("only admins: a user, a client, self-demotion, an unknown id and a bad role are refused", async () => {
    const user = await auth.register();
    const path = `/auth/users/${user.user.id}/role`;
    expect((await auth.call("PATCH", path, { token: user.accessToken, body: { role: "admin" } })).status).toBe(403);
    expect((await auth.call("PATCH", path, { token: clientToken, body: { role: "admin" } })).status).toBe(403);
    expect((await auth.call("PATCH", path, { body: { role: "admin" } })).status).toBe(401);
    expect((await auth.call("PATCH", `/auth/users/${admin.id}/role`, { token: admin.token, body: { role: "user" } })).status).toBe(403);
    expect((await auth.call("PATCH", `/auth/users/${crypto.randomUUID()}/role`, { token: admin.token, body: { role: "admin" } })).status).toBe(404);
    const bad = await auth.call("PATCH", path, { token: admin.token, body: { role: "root" } });
    expect(bad.status).toBe(422);
    expect(bad.json.error.details[0].path).toBe("role");
    const [row] = await auth.deps.db.select().from(users).where(eq(users.id, user.user.id));
    expect(row?.role).toBe("user");
  });
});

describe("bans", () => {
  test("a ban revokes every session at once and blocks login and refresh; lifting it lets the user sign in again", async () => {
    const user = await auth.register();
    const second = await auth.call("POST", "/auth/login", { body: { email: user.email, password: user.password } });
    const banned = await auth.call("POST", `/auth/users/${user.user.id}/ban`, { token: admin.token, body: { reason: "spam" } });
    expect(banned.status).toBe(200);
    expect(banned.json.user).toMatchObject({ id: user.user.id, bannedReason: "spam" });
    expect(Date.parse(banned.json.user.bannedAt)).toBeGreaterThan(0);

    for (const accessToken of [user.accessToken, second.json.accessToken]) {
      await eventually(async () => (await auth.call("GET", "/auth/me", { token: accessToken })).status === 401);
    }
    expect((await auth.call("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } })).status).toBe(401);
    const login = await auth.call("POST", "/auth/login", { body: { email: user.email, password: user.password } });
    expect(login.status).toBe(403);
    expect(login.json.error).toMatchObject({ code: "FORBIDDEN", message: "Account suspended" });
    // A wrong password still gets the usual 401: the suspension is only told to someone who knows the password.
    expect((await auth.call("POST", "/auth/login", { body: { email: user.email, password: "not the password" } })).status).toBe(401);
    const revoked = await published("auth.session_revoked", (data) => data.userId === user.user.id);
    expect(revoked.data).toMatchObject({ reason: "banned" });
    expect(revoked.data.sessionIds).toHaveLength(2);
    expect((await published("auth.user_banned", (data) => data.userId === user.user.id)).data.banned).toBe(true);

    const lifted = await auth.call("DELETE", `/auth/users/${user.user.id}/ban`, { token: admin.token });
    expect(lifted.json.user).toMatchObject({ bannedAt: null, bannedReason: null });
    expect((await auth.call("POST", "/auth/login", { body: { email: user.email, password: user.password } })).status).toBe(200);
    await published("auth.user_banned", (data) => data.userId === user.user.id && data.banned === false);
    const actions = (await audit(user.user.id)).map((entry) => [entry.action, entry.actorId]);
    expect(actions).toContainEqual(["user.banned", admin.id]);
    expect(actions).toContainEqual(["user.unbanned", admin.id]);
    expect(actions).toContainEqual(["session.revoked", admin.id]);
  });

  test("only admins, never themselves; an unknown id is a 404", async () => {
    const user = await auth.register();
    expect((await auth.call("POST", `/auth/users/${user.user.id}/ban`, { token: user.accessToken })).status).toBe(403);
    expect((await auth.call("POST", `/auth/users/${user.user.id}/ban`, { token: clientToken })).status).toBe(403);
    expect((await auth.call("DELETE", `/auth/users/${user.user.id}/ban`, { token: user.accessToken })).status).toBe(403);
    expect((await auth.call("POST", `/auth/users/${admin.id}/ban`, { token: admin.token })).status).toBe(403);
    expect((await auth.call("POST", `/auth/users/${crypto.randomUUID()}/ban`, { token: admin.token })).status).toBe(404);
    expect((await auth.call("GET", "/auth/me", { token: user.accessToken })).status).toBe(200);
  });
});

describe("internal routes for other services", () => {
  test("password verification needs the client scope, is rate limited per user and audits failures", async () => {
    const user = await auth.register();
    const path = `/auth/users/${user.user.id}/password/verify`;
    expect((await auth.call("POST", path, { token: clientToken, body: { password: user.password } })).json).toEqual({ valid: true });
    expect((await auth.call("POST", path, { token: clientToken, body: { password: "wrong password" } })).json).toEqual({ valid: false });
    expect((await audit(user.user.id)).find((entry) => entry.action === "password.verify_failed")?.details).toEqual({ client: "user-service" });
    expect((await auth.call("POST", path, { token: user.accessToken, body: { password: user.password } })).status).toBe(403);
    const narrow = (await auth.call("POST", "/auth/token", { body: { clientId: "narrow", clientSecret: CLIENT_SECRET } })).json.accessToken;
    expect((await auth.call("POST", path, { token: narrow, body: { password: user.password } })).status).toBe(403);
    const unknown = `/auth/users/${crypto.randomUUID()}/password/verify`;
    expect((await auth.call("POST", unknown, { token: clientToken, body: { password: "whatever" } })).status).toBe(404);
    let status = 200;
    for (let attempt = 0; attempt < 10 && status === 200; attempt++) {
      status = (await auth.call("POST", path, { token: clientToken, body: { password: "guess" } })).status;
    }
    expect(status).toBe(429);
  });

  test("export gives the account without secrets, its sessions and audit entries, to clients with users:export only", async () => {
    const user = await auth.register({ name: "Exported" });
    await auth.call("POST", "/auth/email/verification", { token: user.accessToken });
    const exported = await auth.call("GET", `/auth/users/${user.user.id}/export`, { token: clientToken });
    expect(exported.status).toBe(200);
    expect(exported.json.user).toMatchObject({ id: user.user.id, email: user.email, name: "Exported", role: "user", bannedAt: null });
    expect(exported.json.sessions).toHaveLength(1);
    expect(exported.json.auditLog.map((entry: { action: string }) => entry.action)).toContain("user.registered");
    expect(exported.json.oneTimeTokens[0]).toMatchObject({ purpose: "email_verification", email: user.email });
    const text = JSON.stringify(exported.json);
    expect(text).not.toContain("argon2");
    expect(text).not.toMatch(/hash/i);
    expect((await auth.call("GET", `/auth/users/${user.user.id}/export`, { token: user.accessToken })).status).toBe(403);
    expect((await auth.call("GET", `/auth/users/${crypto.randomUUID()}/export`, { token: clientToken })).status).toBe(404);
  });
});

describe("account deletion", () => {
  test("on user.deletion_requested auth revokes the sessions, erases the account, its tokens and audit entries, and acknowledges", async () => {
    const user = await auth.register();
    await auth.call("POST", "/auth/email/verification", { token: user.accessToken });
    await auth.call("POST", "/auth/login", { body: { email: user.email, password: "wrong password" } });
    // The user was an admin who acted on someone else: that entry stays, without them as the actor.
    const bystander = await auth.register();
    await auth.deps.db.insert(auditLog).values({ action: "role.changed", userId: bystander.user.id, actorId: user.user.id });

    await auth.deps.bus.publish("user.deletion_requested", { userId: user.user.id, requestedAt: new Date().toISOString() });
    const erased = await published("user.data_erased", (data) => data.userId === user.user.id);
    expect(erased.data.service).toBe("auth");
    expect((await published("auth.session_revoked", (data) => data.userId === user.user.id)).data.reason).toBe("account_deleted");
    await eventually(async () => (await auth.call("GET", "/auth/me", { token: user.accessToken })).status === 401);
    expect((await auth.call("POST", "/auth/login", { body: { email: user.email, password: user.password } })).status).toBe(401);
    expect(await auth.deps.db.select().from(users).where(eq(users.id, user.user.id))).toEqual([]);
    expect(await auth.deps.db.select().from(sessions).where(eq(sessions.userId, user.user.id))).toEqual([]);
    expect(await auth.deps.db.select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, user.user.id))).toEqual([]);
    expect(
      await auth.deps.db
        .select()
        .from(auditLog)
        .where(or(eq(auditLog.userId, user.user.id), eq(auditLog.actorId, user.user.id))),
    ).toEqual([]);
    expect((await audit(bystander.user.id)).find((entry) => entry.action === "role.changed")?.actorId).toBeNull();

    // A redelivered request finds nothing left and acknowledges again.
    await auth.deps.bus.publish("user.deletion_requested", { userId: user.user.id, requestedAt: new Date().toISOString() });
    await eventually(
      async () => (await readStream(auth.redis, auth.prefix, "user.data_erased")).filter((event) => event.data.userId === user.user.id).length === 2,
    );
    // The email is free again.
    expect((await auth.call("POST", "/auth/register", { body: { email: user.email, password: "a new account's password" } })).status).toBe(201);
  });
});
