import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, readStream } from "@lodge/kit/testing";
import { createNotification } from "../src/services/create-notification";
import { rememberRecipient } from "../src/services/recipients";
import { startTestNotifications, type TestNotifications } from "./harness";

let t: TestNotifications;
beforeAll(async () => {
  t = await startTestNotifications({ jobs: false });
});
afterAll(() => t.close());

const ctx = () => ({ deps: t.deps, logger: t.deps.logger });
const announce = (userId: string, title: string) =>
  createNotification({ ctx: ctx(), input: { userId, type: "system.announcement", data: { title, body: `${title} body`, link: "https://app.example.com/x" } } });
const securityNotice = (userId: string) =>
  createNotification({
    ctx: ctx(),
    input: { userId, type: "auth.password_changed", data: { via: "change", at: new Date().toISOString(), securityLink: "https://app.example.com/s" } },
  });

describe("the inbox", () => {
  test("lists the caller's notifications newest first, a page at a time, filtered by unread and category", async () => {
    const alice = await t.user();
    const bob = await t.user();
    for (const title of ["one", "two", "three"]) await announce(alice.id, title);
    await securityNotice(alice.id);
    await announce(bob.id, "bob's");

    const first = await t.call("GET", "/notifications?limit=3", { token: alice.token });
    expect(first.status).toBe(200);
    expect(first.json.notifications.map((entry: { title: string }) => entry.title)).toEqual(["Your password was changed", "three", "two"]);
    const second = await t.call("GET", `/notifications?limit=3&cursor=${first.json.nextCursor}`, { token: alice.token });
    expect(second.json).toMatchObject({
      notifications: [{ title: "one", body: "one body", link: "https://app.example.com/x", category: "product", readAt: null }],
      nextCursor: null,
    });
    expect(second.json.notifications[0]).not.toHaveProperty("data");

    const security = await t.call("GET", "/notifications?category=security", { token: alice.token });
    expect(security.json.notifications.map((entry: { type: string }) => entry.type)).toEqual(["auth.password_changed"]);
    expect((await t.call("GET", "/notifications", { token: bob.token })).json.notifications.map((entry: { title: string }) => entry.title)).toEqual(["bob's"]);
  });

  test("read, unread, archive, read-all and the unread count", async () => {
    const user = await t.user();
    const [a, b, c] = [await announce(user.id, "a"), await announce(user.id, "b"), await announce(user.id, "c")];
    const count = async () => (await t.call("GET", "/notifications/unread-count", { token: user.token })).json.count;
    expect(await count()).toBe(3);

    const read = await t.call("PATCH", `/notifications/${a.id}`, { token: user.token, body: { read: true } });
    expect(read.status).toBe(200);
    expect(read.json.readAt).toEqual(expect.any(String));
    expect(await count()).toBe(2);
    const unreadOnly = await t.call("GET", "/notifications?unread=true", { token: user.token });
    expect(unreadOnly.json.notifications.map((entry: { id: string }) => entry.id)).toEqual([c.id, b.id]);
    const readOnly = await t.call("GET", "/notifications?unread=false", { token: user.token });
    expect(readOnly.json.notifications.map((entry: { id: string }) => entry.id)).toEqual([a.id]);

    const archived = await t.call("PATCH", `/notifications/${b.id}`, { token: user.token, body: { archived: true } });
    expect(archived.json.archivedAt).toEqual(expect.any(String));
    expect(await count()).toBe(1);
    expect((await t.call("GET", "/notifications", { token: user.token })).json.notifications.map((entry: { id: string }) => entry.id)).toEqual([c.id, a.id]);
    expect((await t.call("GET", "/notifications?archived=true", { token: user.token })).json.notifications.map((entry: { id: string }) => entry.id)).toEqual([
      b.id,
    ]);

    const unread = await t.call("PATCH", `/notifications/${a.id}`, { token: user.token, body: { read: false } });
    expect(unread.json.readAt).toBeNull();
    const all = await t.call("POST", "/notifications/read-all", { token: user.token });
    expect(all.json).toEqual({ updated: 3 });
    expect(await count()).toBe(0);
  });

  test("one notification with its deliveries; deleting it; another user's id is a 404 everywhere", async () => {
    const owner = await t.user();
    const stranger = await t.user();
    await rememberRecipient({ ctx: ctx(), input: { userId: owner.id, email: `owner-${owner.id}@example.com` } });
    const notification = await securityNotice(owner.id);

    const got = await t.call("GET", `/notifications/${notification.id}`, { token: owner.token });
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ id: notification.id, type: "auth.password_changed", category: "security" });
    expect(got.json.deliveries).toEqual([
      { channel: "email", status: "pending", reason: null, attempts: 0, sentAt: null },
      { channel: "in_app", status: "sent", reason: null, attempts: 1, sentAt: expect.any(String) },
    ]);

    for (const [method, body] of [
      ["GET", undefined],
      ["PATCH", { read: true }],
      ["DELETE", undefined],
    ] as const) {
      const response = await t.call(method, `/notifications/${notification.id}`, { token: stranger.token, body });
      expect({ method, status: response.status, code: response.json.error.code }).toEqual({ method, status: 404, code: "NOT_FOUND" });
    }
    expect((await t.call("GET", `/notifications/${notification.id}`, { token: owner.token })).json.readAt).toBeNull();

    expect((await t.call("DELETE", `/notifications/${notification.id}`, { token: owner.token })).status).toBe(204);
    expect((await t.call("GET", `/notifications/${notification.id}`, { token: owner.token })).status).toBe(404);
    expect((await t.call("DELETE", `/notifications/${notification.id}`, { token: owner.token })).status).toBe(404);
    expect(await t.deliveriesOf(notification.id)).toEqual([]);
  });

  test("a service client's token is refused on the inbox (403); an admin has their own inbox only", async () => {
    const client = await t.issuer.client("some-service", ["notifications:export"]);
    expect((await t.call("GET", "/notifications", { token: client })).status).toBe(403);
    const admin = await t.issuer.admin();
    expect((await t.call("GET", "/notifications", { token: admin.token })).json.notifications).toEqual([]);
  });
});

describe("export and erasure", () => {
  test("the export (scope notifications:export) has the user's notifications, deliveries and address copy, nobody else's", async () => {
    const user = await t.user();
    const other = await t.user();
    await rememberRecipient({ ctx: ctx(), input: { userId: user.id, email: `export-${user.id}@example.com`, locale: "de" } });
    const notification = await announce(user.id, "exported");
    await announce(other.id, "not exported");

    const client = await t.issuer.client("user-service", ["notifications:export"]);
    const exported = await t.call("GET", `/notifications/export/${user.id}`, { token: client });
    expect(exported.status).toBe(200);
    expect(exported.json).toMatchObject({
      userId: user.id,
      recipient: { email: `export-${user.id}@example.com`, locale: "de", timeZone: null },
      notifications: [{ id: notification.id, title: "exported", deliveries: [{ channel: "email" }, { channel: "in_app" }] }],
    });
    expect(exported.text).not.toContain(other.id);
    const empty = await t.call("GET", `/notifications/export/${crypto.randomUUID()}`, { token: client });
    expect(empty.json).toMatchObject({ recipient: null, notifications: [] });

    const wrongScope = await t.issuer.client("reader", ["files:export"]);
    expect((await t.call("GET", `/notifications/export/${user.id}`, { token: wrongScope })).status).toBe(403);
    expect((await t.call("GET", `/notifications/export/${user.id}`, { token: user.token })).status).toBe(403);
  });

  test("user.deletion_requested erases the user's notifications, deliveries and address, and leaves others'", async () => {
    const user = await t.user();
    const other = await t.user();
    await rememberRecipient({ ctx: ctx(), input: { userId: user.id, email: `gone-${user.id}@example.com` } });
    const notification = await securityNotice(user.id);
    const kept = await announce(other.id, "kept");

    await t.publish("user.deletion_requested", { userId: user.id, requestedAt: new Date().toISOString() });
    await eventually(async () => (await t.call("GET", "/notifications", { token: user.token })).json.notifications.length === 0);
    expect(await t.deliveriesOf(notification.id)).toEqual([]);
    const client = await t.issuer.client("user-service", ["notifications:export"]);
    expect((await t.call("GET", `/notifications/export/${user.id}`, { token: client })).json).toEqual({
      userId: user.id,
      recipient: null,
      notifications: [],
      reminders: [],
      scheduled: [],
    });
    expect((await t.call("GET", `/notifications/${kept.id}`, { token: other.token })).status).toBe(200);
    // No acknowledgement yet: the service is not among those the saga waits for (see @lodge/services).
    expect((await readStream(t.redis, t.prefix, "user.data_erased")).filter((event) => event.data.userId === user.id)).toEqual([]);
  });
});
