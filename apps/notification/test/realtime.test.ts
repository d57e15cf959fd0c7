import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, openTestSocket } from "@lodge/kit/testing";
import { CLOSE } from "../src/realtime/hub";
import { REPLAY_LIMIT } from "../src/realtime/socket";
import { TICKET_TTL_MS } from "../src/realtime/tickets";
import { createNotification } from "../src/services/create-notification";
import { APP_URL, startTestNotifications, type TestNotifications } from "./harness";

/**
 * The realtime socket with real WebSocket clients (Bun's) against the service on a local port, and
 * a second instance on the same Postgres and Redis for the fan-out between instances.
 */
let t: TestNotifications;
let second: { url: string };
beforeAll(async () => {
  t = await startTestNotifications({ jobs: false, env: { NOTIFICATION_WS_MAX_PER_USER: "3", NOTIFICATION_WS_MESSAGES_PER_10S: "5" } });
  second = await t.anotherInstance();
});
afterAll(() => t.close());

const announce = (userId: string, title: string) =>
  createNotification({ ctx: t.ctx, input: { userId, type: "system.announcement", data: { title, body: `${title} body` } } });

type User = { id: string; token: string; sessionId: string };

async function ticketFor(user: User, base = t.url) {
  const response = await fetch(`${base}/notifications/realtime/ticket`, { method: "POST", headers: { authorization: `Bearer ${user.token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { ticket: string; expiresAt: string }).ticket;
}

const socketUrl = (ticket: string, base = t.url) => `${base.replace(/^http/, "ws")}/notifications/realtime?ticket=${encodeURIComponent(ticket)}`;

/** A device of `user`: a socket opened with a fresh ticket, resumed after `after` (its unread count taken). */
async function connect(user: User, options: { base?: string; after?: string } = {}) {
  const socket = await openTestSocket(socketUrl(await ticketFor(user, options.base), options.base));
  socket.send({ type: "resume", ...(options.after ? { after: options.after } : {}) });
  return socket;
}

/** What a refused upgrade answers, as a browser's request would get it (before any upgrade). */
const upgradeWith = (ticket: string) =>
  fetch(socketUrl(ticket).replace(/^ws/, "http"), {
    headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13", "sec-websocket-key": btoa("0123456789abcdef") },
  });

describe("tickets", () => {
  test("POST /notifications/realtime/ticket gives a user a ticket valid 30 s; no token is 401, a service client's is 403", async () => {
    const user = await t.user();
    const response = await t.call("POST", "/notifications/realtime/ticket", { token: user.token });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expiresAt: expect.any(String) });
    expect(Date.parse(response.json.expiresAt) - t.deps.clock().getTime()).toBeLessThanOrEqual(TICKET_TTL_MS);
    expect((await t.call("POST", "/notifications/realtime/ticket")).status).toBe(401);
    const client = await t.issuer.client("some-service", ["notifications:send"]);
    expect((await t.call("POST", "/notifications/realtime/ticket", { token: client })).status).toBe(403);
  });

  test("a forged, reused or expired ticket, or none, is refused with 401 in the error shape before any upgrade", async () => {
    const user = await t.user();
    const forged = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    for (const ticket of [forged, "", "x".repeat(500)]) {
      const response = await upgradeWith(ticket);
      expect({ ticket, status: response.status }).toEqual({ ticket, status: ticket.length > 128 ? 422 : 401 });
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(ticket.length > 128 ? "VALIDATION_FAILED" : "UNAUTHORIZED");
    }

    const ticket = await ticketFor(user);
    const socket = await openTestSocket(socketUrl(ticket));
    const reused = await upgradeWith(ticket);
    expect(reused.status).toBe(401);
    expect(await reused.json()).toMatchObject({ error: { code: "UNAUTHORIZED", message: "Unknown, used or expired ticket" } });
    socket.close();

    const late = await ticketFor(user);
    t.advance(TICKET_TTL_MS);
    expect((await upgradeWith(late)).status).toBe(401);
    // A ticket is spent by its first use, even one that was not a WebSocket upgrade.
    const plain = await ticketFor(user);
    expect((await fetch(socketUrl(plain).replace(/^ws/, "http"))).status).toBe(422);
    expect((await upgradeWith(plain)).status).toBe(401);
  });
});

describe("live delivery", () => {
  test("a new notification reaches the socket as the inbox lists it, with the unread count; other users' do not", async () => {
    const user = await t.user();
    const stranger = await t.user();
    const socket = await connect(user);
    expect(await socket.next()).toEqual({ type: "unread_count", count: 0 });
    await announce(stranger.id, "not yours");
    const notification = await announce(user.id, "hello");

    const created = await socket.next();
    const listed = (await t.call("GET", "/notifications", { token: user.token })).json.notifications[0];
    expect(created).toEqual({ type: "notification.created", notification: listed });
    expect(await socket.next()).toEqual({ type: "unread_count", count: 1 });
    expect(socket.messages.map((message) => message.notification?.title).filter(Boolean)).toEqual(["hello"]);
    expect(listed.id).toBe(notification.id);
    socket.close();
  });

  test("two devices of one user, on two instances: read, archive, read-all and delete on one show on both", async () => {
    const user = await t.user();
    const phone = await connect(user);
    const laptop = await connect(user, { base: second.url });
    for (const device of [phone, laptop]) await device.next((message) => message.type === "unread_count");
    const [a, b] = [await announce(user.id, "a"), await announce(user.id, "b")];
    for (const device of [phone, laptop]) await device.next((message) => message.type === "notification.created" && message.notification.id === b.id);

    const read = await t.call("PATCH", `/notifications/${a.id}`, { token: user.token, body: { read: true } });
    for (const device of [phone, laptop]) {
      expect(await device.next((message) => message.type === "notification.updated")).toEqual({
        type: "notification.updated",
        ids: [a.id],
        readAt: read.json.readAt,
        archivedAt: null,
      });
      expect(await device.next()).toEqual({ type: "unread_count", count: 1 });
    }

    await t.call("POST", "/notifications/read-all", { token: user.token });
    for (const device of [phone, laptop]) {
      expect(await device.next((message) => message.type === "notification.updated")).toEqual({
        type: "notification.updated",
        ids: [b.id],
        readAt: expect.any(String),
      });
      expect(await device.next()).toEqual({ type: "unread_count", count: 0 });
    }

    expect((await t.call("DELETE", `/notifications/${a.id}`, { token: user.token })).status).toBe(204);
    for (const device of [phone, laptop]) {
      expect(await device.next((message) => message.type === "notification.updated")).toEqual({ type: "notification.updated", ids: [a.id], deleted: true });
    }
    phone.close();
    laptop.close();
  });

  test("POST /notifications/send to several users reaches each one's sockets, with each one's unread count", async () => {
    const [alice, bob] = [await t.user(), await t.user()];
    const sockets = [await connect(alice), await connect(bob, { base: second.url })];
    for (const socket of sockets) await socket.next((message) => message.type === "unread_count");
    const sender = await t.issuer.client("reports", ["notifications:send"]);
    const sent = await t.call("POST", "/notifications/send", {
      token: sender,
      body: { userIds: [alice.id, bob.id], type: "system.announcement", data: { title: "to both", body: "hello" } },
    });
    expect(sent.status).toBe(202);
    for (const [index, socket] of sockets.entries()) {
      const created = await socket.next((message) => message.type === "notification.created");
      expect(created.notification).toMatchObject({ id: sent.json.ids[index], title: "to both" });
      expect(await socket.next()).toEqual({ type: "unread_count", count: 1 });
      socket.close();
    }
  });

  test("concurrent sends to one user, written in several batches: each reaches the socket, and the last count read includes every one", async () => {
    const user = await t.user();
    const socket = await connect(user);
    await socket.next((message) => message.type === "unread_count");
    const sender = await t.issuer.client("reports", ["notifications:send"]);
    const titles = Array.from({ length: 24 }, (_, index) => `concurrent ${index}`);
    const sent = await Promise.all(
      titles.map((title) =>
        t.call("POST", "/notifications/send", { token: sender, body: { userId: user.id, type: "system.announcement", data: { title, body: "b" } } }),
      ),
    );
    expect(sent.map((reply) => reply.status)).toEqual(titles.map(() => 202));
    const listed = (await t.call("GET", "/notifications", { token: user.token })).json.notifications;
    const byId = (one: { id: string }, other: { id: string }) => one.id.localeCompare(other.id);
    const createdOn = () => socket.messages.filter((message) => message.type === "notification.created").map((message) => message.notification);
    await eventually(() => createdOn().length === titles.length);
    expect(createdOn().sort(byId)).toEqual(listed.sort(byId));
    // Each batch reads its counts after its commit: the batch committed last counts them all (the
    // counts' order on the socket follows the publishes', so the last message need not be the highest).
    await eventually(() => socket.messages.some((message) => message.type === "unread_count" && message.count === titles.length));
    expect(Math.max(...socket.messages.filter((message) => message.type === "unread_count").map((message) => message.count))).toBe(titles.length);
    socket.close();
  });

  test("another service's realtime.message on the bus reaches every socket of its user as { type, data }", async () => {
    const user = await t.user();
    const socket = await connect(user, { base: second.url });
    await socket.next((message) => message.type === "unread_count");
    await t.publish("realtime.message", { userId: user.id, type: "ai.job_completed", data: { jobId: "job-1", status: "succeeded" } });
    expect(await socket.next((message) => message.type === "ai.job_completed")).toEqual({
      type: "ai.job_completed",
      data: { jobId: "job-1", status: "succeeded" },
    });
    socket.close();
  });

  test("during a rollout, what an instance of the version before publishes (one message on its channel) reaches the socket", async () => {
    const user = await t.user();
    const socket = await connect(user);
    await socket.next((message) => message.type === "unread_count");
    const message = { type: "unread_count", count: 7 };
    await t.redis.publish(`${t.prefix}notification:realtime:${user.id}`, JSON.stringify(message));
    expect(await socket.next((received) => received.type === "unread_count")).toEqual(message);
    socket.close();

    // And it publishes on channels that version does not listen to, so it never gets lines to forward as one text.
    const listener = t.redis.duplicate({ enableOfflineQueue: true });
    const heard: [string, string][] = [];
    listener.on("message", (channel: string, text: string) => heard.push([channel, text]));
    await listener.subscribe(`${t.prefix}notification:realtime:${user.id}`, `${t.prefix}notification:live:${user.id}`);
    await announce(user.id, "Rolled out");
    await eventually(() => heard.length > 0);
    expect(heard).toHaveLength(1);
    const [channel, text] = heard[0] as [string, string];
    expect(channel).toBe(`${t.prefix}notification:live:${user.id}`);
    expect(text.split("\n").map((line) => JSON.parse(line).type)).toEqual(["notification.created", "unread_count"]);
    listener.disconnect();
  });

  test("the AI service's ai.job_completed reaches the user's sockets; a job that ran over a minute is also stored in the inbox", async () => {
    const user = await t.user();
    const socket = await connect(user, { base: second.url });
    await socket.next((message) => message.type === "unread_count");
    const quick = crypto.randomUUID();
    await t.publish("ai.job_completed", { userId: user.id, jobId: quick, kind: "chat", status: "succeeded", durationMs: 4_000 });
    expect(await socket.next((message) => message.type === "ai.job_completed")).toEqual({
      type: "ai.job_completed",
      data: { jobId: quick, kind: "chat", status: "succeeded" },
    });

    const slow = crypto.randomUUID();
    await t.publish("ai.job_completed", { userId: user.id, jobId: slow, kind: "image", status: "succeeded", durationMs: 90_000 });
    expect((await socket.next((message) => message.type === "ai.job_completed" && message.data.jobId === slow)).data.kind).toBe("image");
    const stored = (await socket.next((message) => message.type === "notification.created")).notification;
    expect(stored).toMatchObject({ type: "ai.job_completed", title: "Your image is ready", link: `${APP_URL}/ai/jobs/${slow}` });
    // Only the slow one was stored.
    const inbox = await t.call("GET", "/notifications", { token: user.token });
    expect(inbox.json.notifications.map((entry: { type: string }) => entry.type)).toEqual(["ai.job_completed"]);
    socket.close();
  });
});

describe("reconnect and replay", () => {
  test("a client that resumes after the last id it saw gets what it missed from Postgres, oldest first, and nothing twice", async () => {
    const user = await t.user();
    const first = await connect(user);
    await announce(user.id, "seen");
    const seen = (await first.next((message) => message.type === "notification.created")).notification;
    first.close();
    await first.closed;

    const missed = [await announce(user.id, "missed 1"), await announce(user.id, "missed 2"), await announce(user.id, "missed 3")];
    const again = await connect(user, { base: second.url, after: seen.id });
    const replayed = [];
    for (const _ of missed) replayed.push((await again.next((message) => message.type === "notification.created")).notification.title);
    expect(replayed).toEqual(["missed 1", "missed 2", "missed 3"]);
    expect(await again.next((message) => message.type === "unread_count")).toEqual({ type: "unread_count", count: 4 });
    expect(again.messages.filter((message) => message.type === "notification.created").map((message) => message.notification.title)).toEqual(replayed);

    // Live again after the replay.
    await announce(user.id, "live");
    expect((await again.next((message) => message.type === "notification.created")).notification.title).toBe("live");
    again.close();
  });

  test("the instance's Redis subscriber dropping closes its sockets (1013); the client reconnects, resumes and misses nothing", async () => {
    const user = await t.user();
    const socket = await connect(user);
    await announce(user.id, "before the drop");
    const seen = (await socket.next((message) => message.type === "notification.created")).notification;

    // The subscriber connections of this test's instances, by the name the hub gives them.
    const clients = String(await t.redis.call("CLIENT", "LIST")).split("\n");
    const ids = clients.filter((line) => line.includes(` name=${t.prefix}notification-realtime `)).map((line) => line.match(/^id=(\d+)/)?.[1] as string);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) await t.redis.call("CLIENT", "KILL", "ID", id);
    expect(await socket.closed).toMatchObject({ code: CLOSE.tryAgain });
    await announce(user.id, "during the drop");

    const again = await connect(user, { after: seen.id });
    expect((await again.next((message) => message.type === "notification.created")).notification.title).toBe("during the drop");
    await announce(user.id, "after the drop");
    expect((await again.next((message) => message.type === "notification.created")).notification.title).toBe("after the drop");
    again.close();
  });

  test(`more than ${REPLAY_LIMIT} missed: the oldest ${REPLAY_LIMIT}, then refetch`, async () => {
    const user = await t.user();
    const before = await announce(user.id, "before");
    for (let index = 0; index <= REPLAY_LIMIT; index++) await announce(user.id, `missed ${index}`);
    const socket = await connect(user, { after: before.id });
    expect(await socket.next((message) => message.type === "refetch")).toEqual({ type: "refetch", reason: "too_many_missed" });
    const created = socket.messages.filter((message) => message.type === "notification.created");
    expect(created.map((message) => message.notification.title)).toEqual(Array.from({ length: REPLAY_LIMIT }, (_, index) => `missed ${index}`));
    socket.close();
  });
});

describe("closing", () => {
  test("revoking the session closes its sockets (4401) on every instance; the user's other sessions stay", async () => {
    const user = await t.user();
    const otherSession = await t.issuer.user({ id: user.id });
    const sockets = [await connect(user), await connect(user, { base: second.url })];
    const kept = await connect(otherSession);
    for (const socket of sockets) await socket.next((message) => message.type === "unread_count");
    await t.issuer.revoke(t.deps.bus, user);
    for (const socket of sockets) expect(await socket.closed).toMatchObject({ code: CLOSE.sessionRevoked });
    await announce(user.id, "still here");
    expect((await kept.next((message) => message.type === "notification.created")).notification.title).toBe("still here");
    kept.close();
  });

  test("one socket more than the per-user cap is closed with 1008", async () => {
    const user = await t.user();
    const open = [await connect(user), await connect(user), await connect(user)];
    const extra = await openTestSocket(socketUrl(await ticketFor(user)));
    expect(await extra.closed).toMatchObject({ code: CLOSE.tooManyConnections });
    // Another instance holds its own sockets of the user.
    const elsewhere = await connect(user, { base: second.url });
    expect(await elsewhere.next()).toMatchObject({ type: "unread_count" });
    for (const socket of [...open, elsewhere]) socket.close();
  });

  test("a flood (4429), an unknown or malformed message (4400) and an oversized one (1009) close the socket", async () => {
    const user = await t.user();
    const flooding = await connect(user);
    for (let index = 0; index < 10; index++) flooding.send({ type: "resume" });
    expect(await flooding.closed).toMatchObject({ code: CLOSE.flooding });

    for (const message of ["not json", JSON.stringify({ type: "subscribe" }), JSON.stringify({ type: "resume", after: "not-an-id" }), new Uint8Array([1, 2])]) {
      const socket = await openTestSocket(socketUrl(await ticketFor(user)));
      socket.socket.send(message);
      expect(await socket.closed).toMatchObject({ code: CLOSE.badMessage });
    }

    const oversized = await openTestSocket(socketUrl(await ticketFor(user)));
    oversized.send({ type: "resume", padding: "x".repeat(5000) });
    expect(await oversized.closed).toMatchObject({ code: 1009 });
  });

  test("notification_websockets_open counts the sockets open on the instance", async () => {
    const gauge = async () => Number((await t.deps.metrics.registry.getSingleMetricAsString("notification_websockets_open")).match(/ (\d+)$/m)?.[1]);
    await eventually(async () => (await gauge()) === 0);
    const user = await t.user();
    const socket = await connect(user);
    await socket.next();
    expect(await gauge()).toBe(1);
    socket.close();
    await eventually(async () => (await gauge()) === 0);
  });
});
