import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jobs as aiJobs, events as analyticsEvents, apiKeys, deletions, notifications, profiles, sites, usage, userLimits } from "@lodge/db/schema";
import { connectToServices } from "@lodge/kit";
import { eventually, readStream } from "@lodge/kit/testing";
import { erasingServices } from "@lodge/services";
import { eq, sql } from "drizzle-orm";
import { decodeJwt } from "jose";
import { startTestStack, type TestStack } from "./harness";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

/**
 * What the AI service holds of a user who has used it: an API key, an admin's limit override, a
 * call's usage record and a job (written as its routes and metering write them).
 */
async function useAi(userId: string) {
  const [key] = await stack.db
    .insert(apiKeys)
    .values({ userId, name: "my script", prefix: "lk_Test", hash: crypto.randomUUID().replaceAll("-", "").repeat(2) })
    .returning();
  await stack.db.insert(userLimits).values({ userId, rpm: 10, dailyBudgetUsd: 1, updatedAt: new Date() });
  await stack.db.insert(usage).values({
    id: crypto.randomUUID(),
    userId,
    keyId: key?.id,
    kind: "chat",
    model: "gpt-test",
    provider: "openai",
    deployment: "gpt-test",
    inputTokens: 12,
    outputTokens: 34,
    tokensFrom: "upstream",
    costUsd: 0.0001,
    status: "ok",
    httpStatus: 200,
    latencyMs: 20,
    createdAt: new Date(),
  });
  await stack.db
    .insert(aiJobs)
    .values({ userId, kind: "chat", request: { model: "gpt-test", messages: [] }, status: "succeeded", result: { id: "chatcmpl-1" } });
  return key?.id as string;
}

/** What the analytics service holds of a user: a site they own and a product event tied to them (as its routes write them). */
async function useAnalytics(userId: string) {
  const [site] = await stack.db
    .insert(sites)
    .values({ domain: `site-${crypto.randomUUID().slice(0, 8)}.example.com`, name: "My site", siteKey: crypto.randomUUID(), ownerId: userId })
    .returning();
  await stack.db.insert(analyticsEvents).values({ id: crypto.randomUUID(), ts: new Date(), userId, name: "Report Exported", props: { format: "pdf" } });
  return site?.id as string;
}

/** A user with something in every service: a profile, preferences, an avatar file, two sessions, a notification (a reset email asked for), AI keys, limits, usage and a job, an analytics site and event. */
async function populatedUser() {
  const user = await stack.register({ name: "To Be Deleted" });
  await stack.profileArrived(user.id);
  const fileId = await stack.upload(user.accessToken, "png");
  expect((await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { avatarFileId: fileId, bio: "bio" } })).status).toBe(200);
  const preferences = await stack.call("GET", "/users/me/preferences", { token: user.accessToken });
  await stack.call("PUT", "/users/me/preferences", {
    token: user.accessToken,
    body: { version: 0, preferences: { ...preferences.json.preferences, theme: "dark" } },
  });
  const second = await stack.callAuth("POST", "/auth/login", { body: { email: user.email, password: user.password } });
  expect((await stack.callAuth("POST", "/auth/password/forgot", { body: { email: user.email } })).status).toBeLessThan(300);
  await eventually(async () => (await stack.db.select().from(notifications).where(eq(notifications.userId, user.id))).length === 1);
  const aiKeyId = await useAi(user.id);
  const siteId = await useAnalytics(user.id);
  return { ...user, fileId, aiKeyId, siteId, secondToken: second.json.accessToken as string };
}

/** Every row of every table in every schema that mentions the value anywhere (any column, JSON and arrays included). */
async function rowsMentioning(value: string) {
  const tables = (await stack.db.execute(
    sql`select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
  )) as unknown as { table_schema: string; table_name: string }[];
  expect(tables.map((table) => `${table.table_schema}.${table.table_name}`)).toEqual(
    expect.arrayContaining(["auth.users", "user.profiles", "file.files", "notification.notifications", "ai.usage", "analytics.events"]),
  );
  const found: { table: string; row: string }[] = [];
  for (const { table_schema, table_name } of tables) {
    const table = sql.raw(`"${table_schema}"."${table_name}"`);
    const rows = (await stack.db.execute(sql`select t::text as row from ${table} t where strpos(lower(t::text), lower(${value})) > 0`)) as unknown as {
      row: string;
    }[];
    for (const { row } of rows) found.push({ table: `${table_schema}.${table_name}`, row });
  }
  return found;
}

describe("account deletion", () => {
  test("with the password: every service erases the user, the deletion completes, and nothing of the user is left but the tombstone", async () => {
    const user = await populatedUser();
    const other = await stack.register();
    await stack.profileArrived(other.id);
    expect((await rowsMentioning(user.id)).length).toBeGreaterThan(3);
    // Its avatar has a rendered variant in storage too.
    expect((await fetch(`${stack.fileUrl}/files/${user.fileId}/content?w=128&h=128&fit=cover&format=webp`)).status).toBe(200);
    // The variant is stored just after it is answered, so wait for it to land.
    await eventually(async () => (await stack.file.deps.storage.list("")).filter((key) => key.includes(user.fileId)).length > 1);

    // An access token older than 5 minutes needs the password, and a wrong one is refused.
    stack.advance(6 * 60 * 1000);
    const stale = await stack.call("DELETE", "/users/me", { token: user.accessToken });
    expect(stale.status).toBe(403);
    expect(stale.json.error.details).toEqual({ reason: "reauthentication_required" });
    expect((await stack.call("DELETE", "/users/me", { token: user.accessToken, body: { password: "not my password" } })).status).toBe(403);
    expect(await stack.db.select().from(deletions).where(eq(deletions.userId, user.id))).toEqual([]);

    const requested = await stack.call("DELETE", "/users/me", { token: user.accessToken, body: { password: user.password } });
    stack.advance(-6 * 60 * 1000);
    expect(requested.status).toBe(202);
    expect(requested.json.deletion.pending).toEqual(["auth", "user", "file", "notification", "ai", "analytics", "bot"]);
    const again = await stack.call("DELETE", "/users/me", { token: user.secondToken });
    expect([202, 401]).toContain(again.status);

    const deleted = await eventually(async () => (await readStream(stack.redis, stack.prefix, "user.deleted")).find((event) => event.data.userId === user.id));
    expect(deleted.data).toEqual({ userId: user.id });
    const acknowledged = (await readStream(stack.redis, stack.prefix, "user.data_erased")).filter((event) => event.data.userId === user.id);
    expect(acknowledged.map((event) => event.data.service).sort()).toEqual(["ai", "analytics", "auth", "bot", "file", "notification", "user"]);

    // Every session is gone: both tokens fail here and at auth, and the password no longer signs in.
    for (const token of [user.accessToken, user.secondToken]) {
      await eventually(async () => (await stack.call("GET", "/users/me", { token })).status === 401);
      expect((await stack.callAuth("GET", "/auth/me", { token })).status).toBe(401);
    }
    expect((await stack.callAuth("POST", "/auth/login", { body: { email: user.email, password: user.password } })).status).toBe(401);
    expect((await stack.call("GET", `/users/${user.id}`, { token: other.accessToken })).status).toBe(404);

    // Nothing of the user in any table of any schema once the outboxes have drained, but the tombstone.
    const left = await eventually(async () => {
      const rows = [...(await rowsMentioning(user.id)), ...(await rowsMentioning(user.email))];
      return rows.every((entry) => entry.table === "user.deletions") && rows;
    });
    expect(left).toHaveLength(1);
    const [tombstone] = await stack.db.select().from(deletions).where(eq(deletions.userId, user.id));
    expect(tombstone).toEqual({ userId: user.id, requestedAt: expect.any(Date), pending: [], completedAt: expect.any(Date) });
    // And nothing in storage: the file and its variants are gone.
    expect((await stack.file.deps.storage.list("")).filter((key) => key.includes(user.fileId))).toEqual([]);

    // Someone else is untouched.
    expect((await stack.call("GET", "/users/me", { token: other.accessToken })).json.email).toBe(other.email);
  });

  test("a refreshed token is not a recent sign-in: auth_time, which refresh keeps, decides (issue 7, finding 3)", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    const signedInAt = decodeJwt(user.accessToken).auth_time;
    expect(typeof signedInAt).toBe("number");
    // 310 s pass for every service.
    stack.advance(310_000);
    stack.advanceAuth(310_000);
    try {
      const old = await stack.call("DELETE", "/users/me", { token: user.accessToken });
      expect(old.status).toBe(403);
      expect(old.json.error.details).toEqual({ reason: "reauthentication_required" });

      // The attack: one refresh (no password) for a freshly issued token.
      const refreshed = await stack.callAuth("POST", "/auth/refresh", { body: { refreshToken: user.refreshToken } });
      expect(refreshed.status).toBe(200);
      const claims = decodeJwt(refreshed.json.accessToken);
      expect(claims.auth_time).toBe(signedInAt);
      expect(claims.iat).toBeGreaterThan(signedInAt as number);
      const attempt = await stack.call("DELETE", "/users/me", { token: refreshed.json.accessToken });
      expect(attempt.status).toBe(403);
      expect(attempt.json.error.details).toEqual({ reason: "reauthentication_required" });
      expect(await stack.db.select().from(deletions).where(eq(deletions.userId, user.id))).toEqual([]);

      // Signing in again with the password is a recent authentication.
      const login = await stack.callAuth("POST", "/auth/login", { body: { email: user.email, password: user.password } });
      expect(login.status).toBe(200);
      const deleted = await stack.call("DELETE", "/users/me", { token: login.json.accessToken });
      expect(deleted.status).toBe(202);
    } finally {
      stack.advance(-310_000);
      stack.advanceAuth(-310_000);
    }
  });

  test("with a fresh token (no password); a late user.registered or a still-valid token does not bring the profile back", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    const requested = await stack.call("DELETE", "/users/me", { token: user.accessToken });
    expect(requested.status).toBe(202);
    // Gone for this service at once, before any other service has acknowledged.
    expect((await stack.call("GET", "/users/me/preferences", { token: user.accessToken })).status).toBe(401);
    await eventually(async () => (await readStream(stack.redis, stack.prefix, "user.deleted")).some((event) => event.data.userId === user.id));

    await stack.auth.deps.bus.publish("user.registered", { userId: user.id, email: user.email, name: null });
    await stack.auth.deps.bus.publish("file.uploaded", {
      fileId: crypto.randomUUID(),
      ownerId: user.id,
      name: "late.png",
      contentType: "image/png",
      size: 1,
      sha256: "0".repeat(64),
    });
    const minted = await stack.auth.deps.keys.sign(
      { sid: crypto.randomUUID(), role: "user" },
      { subject: user.id, issuer: "lodge", audience: "lodge", ttlSeconds: 900 },
    );
    const read = await stack.call("GET", "/users/me", { token: minted });
    expect(read.status).toBe(401);
    expect(read.json.error.message).toBe("Account deleted");
    expect((await stack.call("PATCH", "/users/me", { token: minted, body: { bio: "back?" } })).status).toBe(401);
    // Both late events have been consumed (later events in the same streams are handled after them) and wrote nothing.
    const marker = await stack.register();
    await stack.profileArrived(marker.id);
    await stack.upload(marker.accessToken, "png");
    await eventually(async () => {
      const [row] = await stack.db.select().from(profiles).where(eq(profiles.userId, user.id));
      return row === undefined && (await rowsMentioning(user.id)).every((entry) => entry.table === "user.deletions");
    });
  });

  test("client tokens cannot delete; no token is a 401; a malformed body is refused before anything happens", async () => {
    const user = await stack.register();
    const client = await stack.callAuth("POST", "/auth/token", { body: { clientId: "other", clientSecret: "user-service-test-secret-0123456789" } });
    expect((await stack.call("DELETE", "/users/me", { token: client.json.accessToken })).status).toBe(403);
    expect((await stack.call("DELETE", "/users/me")).status).toBe(401);
    expect((await stack.call("DELETE", "/users/me", { token: user.accessToken, body: "{oops" })).status).toBe(400);
    expect((await stack.call("DELETE", "/users/me", { token: user.accessToken, body: { password: "x", force: true } })).status).toBe(422);
    expect((await stack.call("DELETE", "/users/me", { token: user.accessToken, body: { password: 123 } })).status).toBe(422);
    expect(await stack.db.select().from(deletions).where(eq(deletions.userId, user.id))).toEqual([]);
  });
});

describe("export", () => {
  test("one JSON document with the user's data from every service, as an attachment", async () => {
    const user = await populatedUser();
    const response = await stack.call("GET", "/users/me/export", { token: user.accessToken });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="lodge-export-${user.id}.json"`);
    const { services } = response.json;
    expect(response.json.userId).toBe(user.id);
    // Every service that holds user data (@lodge/services) contributes its part.
    expect(Object.keys(services).sort()).toEqual([...erasingServices].sort());
    expect(services.user.profile).toMatchObject({ id: user.id, email: user.email, displayName: "To Be Deleted", bio: "bio", avatar: { fileId: user.fileId } });
    expect(services.user.preferences).toMatchObject({ version: 1, preferences: { theme: "dark" } });
    expect(services.user.knownFiles).toEqual([expect.objectContaining({ fileId: user.fileId, contentType: "image/png" })]);
    expect(services.auth.user).toMatchObject({ id: user.id, email: user.email, role: "user" });
    expect(services.auth.sessions).toHaveLength(2);
    expect(services.auth.auditLog.map((entry: { action: string }) => entry.action)).toEqual(expect.arrayContaining(["user.registered", "login.succeeded"]));
    expect(services.file.files.map((file: { id: string }) => file.id)).toEqual([user.fileId]);
    expect(services.notification.recipient).toMatchObject({ email: user.email });
    expect(services.notification.notifications.map((notification: { type: string }) => notification.type)).toEqual(["auth.password_reset"]);
    expect(services.ai.keys).toEqual([expect.objectContaining({ id: user.aiKeyId, name: "my script", prefix: "lk_Test" })]);
    expect(services.ai.limits).toMatchObject({ rpm: 10, dailyBudgetUsd: 1 });
    expect(services.ai.usage).toEqual([expect.objectContaining({ keyId: user.aiKeyId, model: "gpt-test", inputTokens: 12, outputTokens: 34 })]);
    expect(services.ai.jobs).toEqual([expect.objectContaining({ kind: "chat", status: "succeeded", result: { id: "chatcmpl-1" } })]);
    expect(services.analytics.sites).toEqual([expect.objectContaining({ id: user.siteId, name: "My site" })]);
    expect(services.analytics.events).toEqual(expect.arrayContaining([expect.objectContaining({ name: "Report Exported", props: { format: "pdf" } })]));
    expect(response.text).not.toContain("argon2");
    expect(response.text).not.toMatch(/passwordHash|tokenHash|secret/i);

    const other = await stack.register();
    const theirs = await stack.call("GET", "/users/me/export", { token: other.accessToken });
    expect(theirs.json.services.file.files).toEqual([]);
    expect(theirs.json.services.notification.notifications).toEqual([]);
    expect(theirs.json.services.ai).toEqual({ userId: other.id, keys: [], limits: null, usage: [], jobs: [] });
    expect(theirs.json.services.analytics.sites).toEqual([]);
    expect(theirs.text).not.toContain(user.id);
    const client = await stack.callAuth("POST", "/auth/token", { body: { clientId: "other", clientSecret: "user-service-test-secret-0123456789" } });
    expect((await stack.call("GET", "/users/me/export", { token: client.json.accessToken })).status).toBe(403);
    expect((await stack.call("GET", "/users/me/export")).status).toBe(401);
  });
});

describe("auth, file, notification, ai or analytics unreachable", () => {
  test("avatar, deletion and export answer 503 with Retry-After and write nothing", async () => {
    const user = await stack.register();
    const fileId = await stack.upload(user.accessToken, "png");
    const deps = stack.user.deps;
    // The same service, but auth, file, notification, ai and analytics are at an address where nothing listens.
    const remote = connectToServices({
      urls: {
        auth: "http://127.0.0.1:1",
        file: "http://127.0.0.1:1",
        notification: "http://127.0.0.1:1",
        ai: "http://127.0.0.1:1",
        analytics: "http://127.0.0.1:1",
        bot: "http://127.0.0.1:1",
      },
      client: deps.config.client,
      timeoutMs: 1000,
      logger: deps.logger,
    });
    const cut = stack.user.appFor({ ...deps, remote });
    const send = async (method: string, path: string, body?: unknown) => {
      const response = await cut.request(path, {
        method,
        headers: { authorization: `Bearer ${user.accessToken}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, retryAfter: response.headers.get("retry-after"), json: (await response.json()) as { error: { code: string } } };
    };
    expect((await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { bio: "known" } })).status).toBe(200);
    for (const [method, path, body] of [
      ["PATCH", "/users/me", { avatarFileId: fileId, bio: "not saved" }],
      ["DELETE", "/users/me", { password: user.password }],
      ["GET", "/users/me/export", undefined],
    ] as const) {
      const response = await send(method, path, body);
      expect({ path, status: response.status, code: response.json.error.code }).toEqual({ path, status: 503, code: "UNAVAILABLE" });
      expect(Number(response.retryAfter)).toBeGreaterThan(0);
    }
    const me = await stack.call("GET", "/users/me", { token: user.accessToken });
    expect(me.json).toMatchObject({ bio: "known", avatar: null });
    expect(await stack.db.select().from(deletions).where(eq(deletions.userId, user.id))).toEqual([]);
    expect((await stack.fileRow(fileId))?.public).toBe(false);
  });

  test("the export is all or nothing: the notification, AI, analytics or bot service alone unreachable makes it a 503", async () => {
    const user = await stack.register();
    const deps = stack.user.deps;
    const reachable = {
      auth: stack.authUrl,
      file: stack.fileUrl,
      notification: stack.notificationUrl,
      ai: stack.aiUrl,
      analytics: stack.analyticsUrl,
      bot: stack.botUrl,
    };
    for (const down of ["notification", "ai", "analytics", "bot"] as const) {
      const remote = connectToServices({
        urls: { ...reachable, [down]: "http://127.0.0.1:1" },
        client: deps.config.client,
        timeoutMs: 1000,
        logger: deps.logger,
      });
      const response = await stack.user.appFor({ ...deps, remote }).request("/users/me/export", { headers: { authorization: `Bearer ${user.accessToken}` } });
      expect({ down, status: response.status }).toEqual({ down, status: 503 });
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("UNAVAILABLE");
    }
    // With all of them back, the same export answers.
    const remote = connectToServices({ urls: reachable, client: deps.config.client, timeoutMs: 1000, logger: deps.logger });
    const response = await stack.user.appFor({ ...deps, remote }).request("/users/me/export", { headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(response.status).toBe(200);
  });
});
