import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { deliveries, notifications, scheduledSends, sendRequests } from "@lodge/db/schema";
import { expectErrorShape, type OpenApiDocument, sweepDocument } from "@lodge/kit/testing";
import { count, eq, inArray } from "drizzle-orm";
import { fireScheduledSend } from "../src/services/fire-scheduled-send";
import { rememberRecipient } from "../src/services/remember-recipient";
import { startTestNotifications, type TestNotifications } from "./harness";

/**
 * POST /notifications/send from service clients and admins: authorization, validation, channels,
 * idempotency keys (replayed, concurrent, another body, purged after 24 h), 1000 recipients in one
 * transaction, scheduled sends (due by the test clock, cancelled, listed) and a scheduled send
 * surviving a restart whose queue lost its job.
 */
let t: TestNotifications;
let admin: { id: string; token: string };
let sender: string;
const announcement = { title: "Maintenance tonight", body: "Lodge is down 22:00–23:00." };

const adminId = Bun.randomUUIDv7();
beforeAll(async () => {
  t = await startTestNotifications();
});
/** Fresh tokens: tests move the clock past a token's 15 minutes. */
async function signIn() {
  admin = await t.issuer.admin({ id: adminId });
  sender = await t.issuer.client("reports", ["notifications:send"]);
}
beforeEach(signIn);
afterAll(() => t.close());

const send = (token: string, body: unknown) => t.call("POST", "/notifications/send", { token, body });
const rowsOf = (userId: string) => t.db.select().from(notifications).where(eq(notifications.userId, userId));
const countAll = async () => (await t.db.select({ count: count() }).from(notifications))[0]?.count;

describe("who may send", () => {
  test("a user without admin, a client without the scope: 403; a client with notifications:send and an admin: 202", async () => {
    const user = await t.user();
    const before = await countAll();
    for (const token of [user.token, await t.issuer.client("other", ["notifications:export"])]) {
      const refused = await send(token, { userId: user.id, type: "system.announcement", data: announcement });
      expect(refused.status).toBe(403);
      expectErrorShape(refused, "forbidden send");
    }
    expect(await countAll()).toBe(before);
    for (const token of [sender, admin.token]) {
      const accepted = await send(token, { userId: user.id, type: "system.announcement", data: announcement });
      expect(accepted.status).toBe(202);
      expect(accepted.json.ids).toHaveLength(1);
    }
    const inbox = await t.call("GET", "/notifications", { token: user.token });
    expect(inbox.json.notifications.map((row: { title: string }) => row.title)).toEqual([announcement.title, announcement.title]);
  });
});

describe("validation", () => {
  test("data not fitting the type, an unknown type or channel, both or neither of userId/userIds: 4xx in the error shape, nothing stored", async () => {
    const user = await t.user();
    const before = await countAll();
    const cases: [unknown, string][] = [
      [{ userId: user.id, type: "system.announcement", data: { title: "" } }, "data.title"],
      [{ userId: user.id, type: "system.announcement", data: { ...announcement, link: "javascript:alert(1)" } }, "data.link"],
      [{ userId: user.id, type: "no.such_type", data: {} }, "type"],
      [{ userId: user.id, type: "system.announcement", data: announcement, channels: ["carrier_pigeon"] }, "channels.0"],
      [{ userId: user.id, userIds: [user.id], type: "system.announcement", data: announcement }, "userIds"],
      [{ type: "system.announcement", data: announcement }, "userIds"],
      [{ userIds: [], type: "system.announcement", data: announcement }, "userIds"],
      [{ userId: user.id, type: "auth.password_reset", data: { link: "https://evil.example/x", expiresAt: "yesterday" } }, "data.expiresAt"],
    ];
    for (const [body, path] of cases) {
      const response = await send(sender, body);
      expect(response.status).toBe(422);
      expectErrorShape(response, path);
      expect(JSON.stringify(response.json.error.details)).toContain(path);
    }
    expect(await countAll()).toBe(before);
  });

  test("channels restrict the type's: a channel left out is skipped as not_requested", async () => {
    const user = await t.user();
    const { json } = await send(sender, { userId: user.id, type: "system.announcement", data: announcement, channels: ["in_app"] });
    const rows = await t.deliveriesOf(json.ids[0]);
    expect(rows.map((row) => [row.channel, row.status, row.reason]).sort()).toEqual([
      ["email", "skipped", "not_requested"],
      ["fcm", "skipped", "not_requested"],
      ["in_app", "sent", null],
      ["telegram", "skipped", "not_requested"],
      ["web_push", "skipped", "not_requested"],
    ]);
  });
});

describe("1000 recipients", () => {
  test("one request makes 1000 notifications and their deliveries; one bad id in 1000 makes none", async () => {
    const users = Array.from({ length: 1000 }, () => Bun.randomUUIDv7());
    const before = await countAll();
    const bad = await send(admin.token, { userIds: [...users.slice(0, 999), "not-a-uuid"], type: "system.announcement", data: announcement });
    expect(bad.status).toBe(422);
    expect(await send(admin.token, { userIds: [...users, Bun.randomUUIDv7()], type: "system.announcement", data: announcement })).toMatchObject({
      status: 422,
    });
    expect(await countAll()).toBe(before);

    const accepted = await send(admin.token, { userIds: users, type: "system.announcement", data: announcement });
    expect(accepted.status).toBe(202);
    expect(new Set(accepted.json.ids).size).toBe(1000);
    const made = await t.db.select({ userId: notifications.userId }).from(notifications).where(inArray(notifications.id, accepted.json.ids));
    expect(made.map((row) => row.userId).sort()).toEqual([...users].sort());
    const [channels] = await t.db.select({ count: count() }).from(deliveries).where(inArray(deliveries.notificationId, accepted.json.ids));
    // One per channel of the type: the inbox, email, web push, FCM and Telegram.
    expect(channels?.count).toBe(5000);
  });
});

describe("concurrent sends", () => {
  test("sends in flight together (written in shared statements) each get their own notifications, titles and channels", async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => t.user()));
    const bodies = users.map((user, index) => ({
      userId: user.id,
      type: "system.announcement",
      data: { title: `Title ${index}`, body: announcement.body },
      ...(index % 2 === 1 ? { channels: ["in_app"] } : {}),
    }));
    const both = { userIds: [users[0]?.id, users[1]?.id], type: "system.announcement", data: { title: "For both", body: announcement.body } };
    const replies = await Promise.all([...bodies, both].map((body) => send(sender, body)));
    expect(replies.map((reply) => reply.status)).toEqual(Array(13).fill(202));

    for (const [index, reply] of replies.slice(0, 12).entries()) {
      const [row] = await t.db.select().from(notifications).where(eq(notifications.id, reply.json.ids[0]));
      expect([row?.userId, row?.title, row?.data]).toEqual([users[index]?.id, `Title ${index}`, bodies[index]?.data]);
      const notRequested = (await t.deliveriesOf(reply.json.ids[0])).filter((delivery) => delivery.reason === "not_requested").length;
      expect(notRequested).toBe(index % 2 === 1 ? 4 : 0);
    }
    const shared = replies[12]?.json.ids as string[];
    const made = await t.db.select().from(notifications).where(inArray(notifications.id, shared));
    expect(made.map((row) => `${row.userId} ${row.title}`).sort()).toEqual([`${users[0]?.id} For both`, `${users[1]?.id} For both`].sort());
    // Each user has their own notification and the shared one, nothing more.
    for (const [index, user] of users.entries()) expect(await rowsOf(user.id)).toHaveLength(index < 2 ? 2 : 1);
  });
});

describe("the caller's rate limit", () => {
  let limited: TestNotifications;
  beforeAll(async () => {
    limited = await startTestNotifications({ env: { NOTIFICATION_SEND_PER_MINUTE: "3" }, jobs: false });
  });
  afterAll(() => limited.close());

  test("past NOTIFICATION_SEND_PER_MINUTE a caller gets 429 with Retry-After, and a refused send writes nothing, with or without a key or sendAt", async () => {
    const user = await limited.user();
    const caller = await limited.issuer.client("flood", ["notifications:send"]);
    const body = { userId: user.id, type: "system.announcement", data: announcement };
    // Counted while the sends in flight read: exactly the limit's worth are written.
    const replies = await Promise.all(Array.from({ length: 5 }, () => limited.call("POST", "/notifications/send", { token: caller, body })));
    expect(replies.map((reply) => reply.status).sort()).toEqual([202, 202, 202, 429, 429]);
    const refused = replies.find((reply) => reply.status === 429);
    expectErrorShape(refused as NonNullable<typeof refused>, "rate limited send");
    expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThan(0);
    for (const extra of [
      { idempotencyKey: "over-the-limit" },
      { sendAt: new Date(limited.now().getTime() + 3600_000).toISOString() },
      { data: { title: "" } },
    ]) {
      const reply = await limited.call("POST", "/notifications/send", { token: caller, body: { ...body, ...extra } });
      expect(reply.status).toBe(429);
    }
    const stored = await limited.db.select().from(notifications).where(eq(notifications.userId, user.id));
    expect(stored).toHaveLength(3);
    expect(await limited.db.select().from(sendRequests).where(eq(sendRequests.key, "over-the-limit"))).toEqual([]);
    expect(await limited.db.select().from(scheduledSends)).toEqual([]);
  });
});

describe("idempotency keys", () => {
  test("the same key twice answers the first response and sends nothing again; another caller's same key is theirs", async () => {
    const user = await t.user();
    const body = { userId: user.id, type: "system.announcement", data: announcement, idempotencyKey: "report-2026-12-01" };
    const first = await send(sender, body);
    const again = await send(sender, { ...body, data: { body: announcement.body, title: announcement.title } });
    expect(again.status).toBe(202);
    expect(again.json).toEqual(first.json);
    expect(await rowsOf(user.id)).toHaveLength(1);
    const other = await send(await t.issuer.client("billing", ["notifications:send"]), body);
    expect(other.json.ids[0]).not.toBe(first.json.ids[0]);
    expect(await rowsOf(user.id)).toHaveLength(2);
  });

  test("the same key with another body is a 409 and sends nothing", async () => {
    const user = await t.user();
    const body = { userId: user.id, type: "system.announcement", data: announcement, idempotencyKey: "conflicting" };
    expect((await send(sender, body)).status).toBe(202);
    const conflict = await send(sender, { ...body, data: { ...announcement, title: "Another title" } });
    expect(conflict.status).toBe(409);
    expectErrorShape(conflict, "idempotency conflict");
    expect(await rowsOf(user.id)).toHaveLength(1);
  });

  test("concurrent duplicates make one set of notifications and all get its ids", async () => {
    const users = [Bun.randomUUIDv7(), Bun.randomUUIDv7(), Bun.randomUUIDv7()];
    const body = { userIds: users, type: "system.announcement", data: announcement, idempotencyKey: `concurrent-${Bun.randomUUIDv7()}` };
    const replies = await Promise.all(Array.from({ length: 8 }, () => send(sender, body)));
    expect(replies.map((reply) => reply.status)).toEqual(Array(8).fill(202));
    for (const reply of replies) expect(reply.json).toEqual(replies[0]?.json);
    const [made] = await t.db.select({ count: count() }).from(notifications).where(inArray(notifications.userId, users));
    expect(made?.count).toBe(3);
  });

  test("keys are purged after 24 h by the repeatable job; the key then sends anew", async () => {
    const user = await t.user();
    const body = { userId: user.id, type: "system.announcement", data: announcement, idempotencyKey: "daily-digest" };
    const first = await send(sender, body);
    t.advance(24 * 3600_000 + 1000);
    await t.runDue();
    expect(await t.db.select().from(sendRequests).where(eq(sendRequests.key, "daily-digest"))).toEqual([]);
    await signIn();
    const later = await send(sender, body);
    expect(later.json.ids[0]).not.toBe(first.json.ids[0]);
    expect(await rowsOf(user.id)).toHaveLength(2);
  });
});

describe("scheduled sends", () => {
  test("sendAt: stored, sent when due by the clock (not before), listed for admins", async () => {
    const user = await t.user();
    const sendAt = new Date(t.now().getTime() + 3600_000).toISOString();
    const accepted = await send(sender, { userId: user.id, type: "system.announcement", data: announcement, sendAt });
    expect(accepted.status).toBe(202);
    expect(accepted.json.ids).toEqual([]);
    const id = accepted.json.scheduledId;
    await t.runDue();
    expect(await rowsOf(user.id)).toHaveLength(0);
    t.advance(3600_000);
    await t.runDue();
    expect(await rowsOf(user.id)).toHaveLength(1);
    await t.runDue();
    expect(await rowsOf(user.id)).toHaveLength(1);

    await signIn();
    const listed = await t.call("GET", "/notifications/scheduled?status=sent", { token: admin.token });
    expect(listed.json.scheduled.find((row: { id: string }) => row.id === id)).toMatchObject({ status: "sent", recipientCount: 1, caller: "client:reports" });
    expect((await t.call("GET", "/notifications/scheduled", { token: sender })).status).toBe(403);
    expect((await t.call("GET", "/notifications/scheduled", { token: (await t.user()).token })).status).toBe(403);
  });

  test("sendAt in the past or more than a year ahead: 422", async () => {
    const user = await t.user();
    for (const offset of [-10 * 60_000, 367 * 24 * 3600_000]) {
      const sendAt = new Date(t.now().getTime() + offset).toISOString();
      const refused = await send(sender, { userId: user.id, type: "system.announcement", data: announcement, sendAt });
      expect(refused.status).toBe(422);
      expectErrorShape(refused, "sendAt");
    }
    expect(await t.db.select().from(scheduledSends).where(eq(scheduledSends.type, "never"))).toEqual([]);
  });

  test("cancelled by its sender (another caller's: 404) sends nothing; a sent one is a 409", async () => {
    const user = await t.user();
    const sendAt = new Date(t.now().getTime() + 600_000).toISOString();
    const { json } = await send(sender, { userId: user.id, type: "system.announcement", data: announcement, sendAt });
    const path = `/notifications/scheduled/${json.scheduledId}`;
    expect((await t.call("DELETE", path, { token: await t.issuer.client("billing", ["notifications:send"]) })).status).toBe(404);
    expect((await t.call("DELETE", path, { token: admin.token })).status).toBe(404);
    expect((await t.call("DELETE", path, { token: sender })).status).toBe(204);
    expect((await t.call("DELETE", path, { token: sender })).status).toBe(204);
    t.advance(600_000);
    await t.runDue();
    expect(await rowsOf(user.id)).toHaveLength(0);

    const later = await send(admin.token, { userId: user.id, type: "system.announcement", data: announcement, sendAt: t.now().toISOString() });
    await t.runDue();
    expect(await rowsOf(user.id)).toHaveLength(1);
    const sent = await t.call("DELETE", `/notifications/scheduled/${later.json.scheduledId}`, { token: admin.token });
    expect(sent.status).toBe(409);
    expectErrorShape(sent, "already sent");
  });

  test("a restart whose queue lost the job: the sweep of the new instance sends it once", async () => {
    const user = await t.user();
    const sendAt = new Date(t.now().getTime() + 120_000).toISOString();
    const { json } = await send(sender, { userIds: [user.id], type: "system.announcement", data: announcement, sendAt });
    // Redis restored from an older snapshot: the delayed job is gone, the row in Postgres is not.
    await t.deps.triggers.remove(`send-${json.scheduledId}`);
    expect(await t.deps.triggers.getJob(`send-${json.scheduledId}`)).toBeUndefined();
    const restarted = await t.startInstance();
    try {
      t.advance(120_000);
      await t.runDue();
      expect(await rowsOf(user.id)).toHaveLength(1);
      const [row] = await t.db.select().from(scheduledSends).where(eq(scheduledSends.id, json.scheduledId));
      expect(row?.status).toBe("sent");
    } finally {
      await restarted.close();
    }
  });
});

describe("scheduled sends by email", () => {
  test("each recipient gets one email through real SMTP, in their language; a retried job after the send makes nothing again", async () => {
    const [anna, ben] = [await t.user(), await t.user()];
    await rememberRecipient({ ctx: t.ctx, input: { userId: anna.id, email: `anna-${anna.id}@example.com`, locale: "de" } });
    await rememberRecipient({ ctx: t.ctx, input: { userId: ben.id, email: `ben-${ben.id}@example.com` } });
    const sendAt = new Date(t.now().getTime() + 300_000).toISOString();
    const { json } = await send(sender, { userIds: [anna.id, ben.id], type: "reminder", data: { text: "Quarterly report due", at: sendAt }, sendAt });
    t.advance(300_000);
    await t.runDue();
    const [german] = await t.smtp.arrived(`anna-${anna.id}@example.com`);
    expect(german?.subject).toBe("Erinnerung: Quarterly report due");
    await t.smtp.arrived(`ben-${ben.id}@example.com`);

    // Ben deletes his; the job runs again (as after a crash past its commit): nothing is made or sent again.
    const [bens] = await rowsOf(ben.id);
    await t.db.delete(notifications).where(eq(notifications.id, bens?.id as string));
    expect(await fireScheduledSend({ ctx: t.ctx, input: { id: json.scheduledId } })).toEqual({ sent: 1 });
    expect(await rowsOf(ben.id)).toEqual([]);
    expect(await rowsOf(anna.id)).toHaveLength(1);
    await t.runDue();
    expect(t.smtp.to(`anna-${anna.id}@example.com`)).toHaveLength(1);
  });

  test("a cancellation racing the firing: either nothing is sent (204) or it was sent (409), never both", async () => {
    for (let round = 0; round < 5; round += 1) {
      const user = await t.user();
      const { json } = await send(sender, { userId: user.id, type: "system.announcement", data: announcement, sendAt: t.now().toISOString() });
      const [cancelled, fired] = await Promise.all([
        t.call("DELETE", `/notifications/scheduled/${json.scheduledId}`, { token: sender }),
        fireScheduledSend({ ctx: t.ctx, input: { id: json.scheduledId } }),
      ]);
      const made = await rowsOf(user.id);
      if (cancelled.status === 204) expect({ made: made.length, fired }).toEqual({ made: 0, fired: {} });
      else expect({ status: cancelled.status, made: made.length }).toEqual({ status: 409, made: 1 });
    }
  });
});

describe("bad input on the send routes", () => {
  test("the kit's body sweep over POST /notifications/send and POST /notifications/reminders: 4xx, nothing stored", async () => {
    const document: OpenApiDocument = (await t.call("GET", "/notifications/openapi.json")).json;
    const mine = { ...document, paths: Object.fromEntries(Object.entries(document.paths).filter(([path]) => /\/(send|reminders)$/.test(path))) };
    const user = await t.user();
    const before = await countAll();
    const swept = await sweepDocument({
      document: mine,
      oversizedBytes: 70_000,
      send: (operation, body, headers) =>
        t.call(operation.method, operation.path, { body, token: operation.path.endsWith("send") ? admin.token : user.token, headers }),
    });
    expect(swept.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual(["POST /notifications/reminders", "POST /notifications/send"]);
    expect(await countAll()).toBe(before);
    expect((await t.call("GET", "/notifications/reminders", { token: user.token })).json.reminders).toEqual([]);
  });
});
