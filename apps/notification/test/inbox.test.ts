import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { erasedUsers, fcmDevices, notifications, pushSubscriptions, recipients, telegramLinks, unreadCounts } from "@lodge/db/schema";
import { eventually, readStream } from "@lodge/kit/testing";
import { and, count, eq, isNull } from "drizzle-orm";
import { createNotification } from "../src/services/create-notification";
import { rememberRecipient } from "../src/services/remember-recipient";
import { startTestNotifications, type TestNotifications } from "./harness";

let t: TestNotifications;
beforeAll(async () => {
  t = await startTestNotifications({ jobs: false });
});
afterAll(() => t.close());

const announce = (userId: string, title: string) =>
  createNotification({ ctx: t.ctx, input: { userId, type: "system.announcement", data: { title, body: `${title} body`, link: "https://app.example.com/x" } } });
const securityNotice = (userId: string) =>
  createNotification({
    ctx: t.ctx,
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

  test("the unread count kept by the database follows every change, equal to the rows neither read nor archived", async () => {
    const user = await t.user();
    const other = await t.user();
    const keptCount = async () => (await t.call("GET", "/notifications/unread-count", { token: user.token })).json.count;
    const rowsUnread = async () =>
      (
        await t.db
          .select({ unread: count() })
          .from(notifications)
          .where(and(eq(notifications.userId, user.id), isNull(notifications.readAt), isNull(notifications.archivedAt)))
      )[0]?.unread;
    const patch = (id: string, body: Record<string, boolean>) => t.call("PATCH", `/notifications/${id}`, { token: user.token, body });
    const sent = await t.call("POST", "/notifications/send", {
      token: await t.issuer.client("counting", ["notifications:send"]),
      body: { userIds: [user.id, other.id], type: "system.announcement", data: { title: "both", body: "both" } },
    });
    expect(sent.status).toBe(202);
    const [a, b, c, d, e] = [
      await announce(user.id, "a"),
      await announce(user.id, "b"),
      await announce(user.id, "c"),
      await announce(user.id, "d"),
      await announce(user.id, "e"),
    ];
    const steps: [string, () => Promise<unknown>][] = [
      ["read a", () => patch(a.id, { read: true })],
      ["read a again", () => patch(a.id, { read: true })],
      ["archive b (unread)", () => patch(b.id, { archived: true })],
      ["archive a (read)", () => patch(a.id, { archived: true })],
      ["unread and unarchive a", () => patch(a.id, { read: false, archived: false })],
      ["delete c (unread)", () => t.call("DELETE", `/notifications/${c.id}`, { token: user.token })],
      ["read d, then delete it", async () => (await patch(d.id, { read: true })) && t.call("DELETE", `/notifications/${d.id}`, { token: user.token })],
      ["read all (b archived and unread too)", () => t.call("POST", "/notifications/read-all", { token: user.token })],
      ["unread e", () => patch(e.id, { read: false })],
    ];
    const counts = [["sent", await keptCount(), await rowsUnread()]];
    for (const [step, run] of steps) {
      await run();
      counts.push([step, await keptCount(), await rowsUnread()]);
    }
    expect(counts.map(([step, kept]) => [step, kept])).toEqual(counts.map(([step, , rows]) => [step, rows]));
    expect(counts.map(([, kept]) => kept)).toEqual([6, 5, 5, 4, 4, 5, 4, 3, 0, 1]);
    expect((await t.call("GET", "/notifications/unread-count", { token: other.token })).json.count).toBe(1);
  });

  test("one notification with its deliveries; deleting it; another user's id is a 404 everywhere", async () => {
    const owner = await t.user();
    const stranger = await t.user();
    await rememberRecipient({ ctx: t.ctx, input: { userId: owner.id, email: `owner-${owner.id}@example.com` } });
    const notification = await securityNotice(owner.id);

    const got = await t.call("GET", `/notifications/${notification.id}`, { token: owner.token });
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ id: notification.id, type: "auth.password_changed", category: "security" });
    expect(got.json.deliveries).toEqual([
      { channel: "email", status: "pending", reason: null, attempts: 0, sentAt: null, dueAt: null },
      { channel: "in_app", status: "sent", reason: null, attempts: 1, sentAt: expect.any(String), dueAt: null },
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
    await rememberRecipient({ ctx: t.ctx, input: { userId: user.id, email: `export-${user.id}@example.com`, locale: "de" } });
    await t.db.insert(pushSubscriptions).values({ userId: user.id, endpoint: `https://push.example.com/${user.id}`, p256dh: "k", auth: "a" });
    await t.db.insert(fcmDevices).values({ userId: user.id, token: `token-${user.id}`, platform: "ios" });
    await t.db.insert(telegramLinks).values({ userId: user.id, chatId: 4242, linkedAt: new Date() });
    const notification = await announce(user.id, "exported");
    await announce(other.id, "not exported");

    const client = await t.issuer.client("user-service", ["notifications:export"]);
    const exported = await t.call("GET", `/notifications/export/${user.id}`, { token: client });
    expect(exported.status).toBe(200);
    expect(exported.json).toMatchObject({
      userId: user.id,
      recipient: { email: `export-${user.id}@example.com`, locale: "de", timeZone: null },
      pushSubscriptions: [{ endpoint: `https://push.example.com/${user.id}` }],
      devices: [{ fcmToken: `token-${user.id}`, platform: "ios" }],
      telegram: { chatId: 4242 },
      notifications: [
        {
          id: notification.id,
          title: "exported",
          deliveries: [{ channel: "email" }, { channel: "fcm" }, { channel: "in_app" }, { channel: "telegram" }, { channel: "web_push" }],
        },
      ],
    });
    expect(exported.text).not.toContain(other.id);
    const empty = await t.call("GET", `/notifications/export/${crypto.randomUUID()}`, { token: client });
    expect(empty.json).toMatchObject({ recipient: null, notifications: [] });
    // The keys a payload is encrypted to stay out of the export.
    expect(exported.json.pushSubscriptions[0]).not.toHaveProperty("p256dh");

    const wrongScope = await t.issuer.client("reader", ["files:export"]);
    expect((await t.call("GET", `/notifications/export/${user.id}`, { token: wrongScope })).status).toBe(403);
    expect((await t.call("GET", `/notifications/export/${user.id}`, { token: user.token })).status).toBe(403);
  });

  test("user.deletion_requested erases the user's notifications, deliveries and address, leaves others', and is acknowledged with user.data_erased", async () => {
    const user = await t.user();
    const other = await t.user();
    await rememberRecipient({ ctx: t.ctx, input: { userId: user.id, email: `gone-${user.id}@example.com` } });
    await t.db.insert(pushSubscriptions).values({ userId: user.id, endpoint: `https://push.example.com/${user.id}`, p256dh: "k", auth: "a" });
    await t.db.insert(fcmDevices).values({ userId: user.id, token: `token-${user.id}`, platform: "android" });
    await t.db.insert(telegramLinks).values({ userId: user.id, chatId: 42, linkedAt: new Date() });
    const notification = await securityNotice(user.id);
    const kept = await announce(other.id, "kept");

    await t.publish("user.deletion_requested", { userId: user.id, requestedAt: new Date().toISOString() });
    await eventually(async () => (await t.call("GET", "/notifications", { token: user.token })).json.notifications.length === 0);
    expect(await t.deliveriesOf(notification.id)).toEqual([]);
    expect(await t.db.select().from(unreadCounts).where(eq(unreadCounts.userId, user.id))).toEqual([]);
    const client = await t.issuer.client("user-service", ["notifications:export"]);
    expect((await t.call("GET", `/notifications/export/${user.id}`, { token: client })).json).toEqual({
      userId: user.id,
      recipient: null,
      categoryPreferences: [],
      pushSubscriptions: [],
      devices: [],
      telegram: null,
      notifications: [],
      reminders: [],
      scheduled: [],
    });
    expect((await t.call("GET", `/notifications/${kept.id}`, { token: other.token })).status).toBe(200);
    // The saga hears of it (this service is among those it waits for, see @lodge/services), once.
    const acknowledged = await eventually(async () => {
      const events = (await readStream(t.redis, t.prefix, "user.data_erased")).filter((event) => event.data.userId === user.id);
      return events.length > 0 && events;
    });
    expect(acknowledged.map((event) => event.data)).toEqual([{ userId: user.id, service: "notification" }]);

    // A late event about the user (a redelivered registration, a profile change) stores nothing again,
    // and no row names them: the service remembers the erasure by a hash of the id.
    await t.publish("user.registered", { userId: user.id, email: `gone-${user.id}@example.com`, name: null });
    await t.publish("user.profile_updated", { userId: user.id, changed: ["timezone"], timezone: "Europe/Berlin" });
    const marker = await t.user();
    await t.publish("user.registered", { userId: marker.id, email: `marker-${marker.id}@example.com`, name: null });
    await t.publish("user.profile_updated", { userId: marker.id, changed: ["timezone"], timezone: "Europe/Berlin" });
    await eventually(async () => (await t.db.select().from(recipients).where(eq(recipients.userId, marker.id)))[0]?.timeZone === "Europe/Berlin");
    expect(await t.db.select().from(recipients).where(eq(recipients.userId, user.id))).toEqual([]);
    const erased = (await t.db.select().from(erasedUsers)).map((row) => row.userKey);
    expect(erased).toHaveLength(1);
    expect(erased[0]).not.toContain(user.id);
  });
});
