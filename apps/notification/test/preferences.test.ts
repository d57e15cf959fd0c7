import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { categoryPreferences, deliveries, digests } from "@lodge/db/schema";
import { defaultPreferences } from "@lodge/events";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { createNotification } from "../src/services/create-notification";
import { deliverDigest } from "../src/services/deliver-digest";
import { releaseHeld } from "../src/services/release-held";
import { startTestNotifications, type TestNotifications } from "./harness";

/**
 * Preferences and timing, with the workers running (emails reach the test SMTP server) and the
 * sweep driven by hand on the service's clock: category opt-outs, the user service's channel
 * settings, quiet hours in the user's time zone across a DST change, and digests.
 */
let t: TestNotifications;
beforeAll(async () => {
  t = await startTestNotifications();
});
afterAll(() => t.close());

const announcement = (title: string) => ({ title, body: `About ${title}`, link: "https://app.example.com/news" });

describe("GET and PUT /notifications/preferences", () => {
  test("the matrix says where each value comes from: critical categories, the user service's settings, the user's choice, the default", async () => {
    const user = await t.recipient({ preferences: { notifications: { ...defaultPreferences.notifications, push: { enabled: false, frequency: "instant" } } } });
    const initial = await t.call("GET", "/notifications/preferences", { token: user.token });
    expect(initial.status).toBe(200);
    expect(initial.json.categories.security.email).toEqual({ enabled: true, source: "critical" });
    expect(initial.json.categories.account.push).toEqual({ enabled: true, source: "critical" });
    expect(initial.json.categories.product.email).toEqual({ enabled: true, source: "default" });
    expect(initial.json.categories.product.push).toEqual({ enabled: false, source: "settings" });
    expect(initial.json.categories.product.telegram).toEqual({ enabled: false, source: "settings" });
    expect(initial.json.channels.email).toEqual({ enabled: true, frequency: "instant" });
    expect(initial.json.quietHours).toBeNull();

    const changed = await t.call("PUT", "/notifications/preferences", {
      token: user.token,
      body: { categories: { product: { email: false }, reminders: { email: true } } },
    });
    expect(changed.status).toBe(200);
    expect(changed.json.categories.product.email).toEqual({ enabled: false, source: "category" });
    expect(changed.json.categories.reminders.email).toEqual({ enabled: true, source: "category" });
    // The user service's switch wins over a choice here.
    const pushOn = await t.call("PUT", "/notifications/preferences", { token: user.token, body: { categories: { product: { push: true } } } });
    expect(pushOn.json.categories.product.push).toEqual({ enabled: false, source: "settings" });

    const reset = await t.call("PUT", "/notifications/preferences", { token: user.token, body: { categories: { product: { email: null } } } });
    expect(reset.json.categories.product.email).toEqual({ enabled: true, source: "default" });
    expect(reset.json.categories.reminders.email).toEqual({ enabled: true, source: "category" });
  });

  test("turning off a critical category is a 409 that writes nothing, not even the rest of the request", async () => {
    const user = await t.recipient();
    const refused = await t.call("PUT", "/notifications/preferences", {
      token: user.token,
      body: { categories: { product: { email: false }, security: { email: false } } },
    });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe("CONFLICT");
    expect(refused.json.error.message).toContain("security");
    expect(await t.db.select().from(categoryPreferences).where(eq(categoryPreferences.userId, user.id))).toEqual([]);
    // Turning one on is no change and allowed.
    expect((await t.call("PUT", "/notifications/preferences", { token: user.token, body: { categories: { security: { email: true } } } })).status).toBe(200);
  });

  test("unknown categories, channels and values are refused with 422", async () => {
    const user = await t.recipient();
    for (const body of [
      { categories: { marketing: { email: false } } },
      { categories: { product: { sms: false } } },
      { categories: { product: { email: "off" } } },
      { categories: { product: { email: false } }, extra: true },
      {},
    ]) {
      const response = await t.call("PUT", "/notifications/preferences", { token: user.token, body });
      expect(response.status).toBe(422);
      expect(response.json.error.code).toBe("VALIDATION_FAILED");
    }
    expect(await t.db.select().from(categoryPreferences).where(eq(categoryPreferences.userId, user.id))).toEqual([]);
  });

  test("a late, older preferences version changes nothing", async () => {
    const quiet = { start: "22:00", end: "07:00" };
    const user = await t.recipient({ preferences: { quietHours: quiet }, version: 3 });
    await t.publish("user.preferences_updated", { userId: user.id, version: 2, preferences: defaultPreferences, updatedAt: t.now().toISOString() });
    // Another user's save published after it: once that is seen, the late one was handled too (one stream, in order).
    await t.recipient({ preferences: { quietHours: quiet }, version: 1 });
    const seen = await t.call("GET", "/notifications/preferences", { token: user.token });
    expect(seen.json).toMatchObject({ quietHours: quiet, settingsVersion: 3 });
  });
});

describe("opt-outs at delivery", () => {
  test("a category turned off skips its email (opted_out), the inbox still has it", async () => {
    const user = await t.recipient();
    await t.call("PUT", "/notifications/preferences", { token: user.token, body: { categories: { product: { email: false } } } });
    const { notification, email } = await t.announce(user.id, "Opted out");
    expect(email).toMatchObject({ status: "skipped", reason: "opted_out" });
    expect((await t.deliveriesOf(notification.id)).find((row) => row.channel === "in_app")?.status).toBe("sent");
  });

  test("email off in the user service's settings skips non-critical mail, but a password reset still goes out", async () => {
    const user = await t.recipient({
      preferences: { notifications: { ...defaultPreferences.notifications, email: { enabled: false, frequency: "instant" } } },
    });
    expect((await t.announce(user.id, "Not emailed")).email).toMatchObject({ status: "skipped", reason: "opted_out" });
    await t.publish("auth.password_reset_requested", { userId: user.id, email: user.email, token: "reset-token", expiresAt: t.now().toISOString() });
    await t.smtp.arrived(user.email);
    expect(t.smtp.to(user.email)[0]?.subject).toBe("Reset your password");
  });
});

describe("sends to many", () => {
  test("POST /notifications/send plans each recipient by their own settings: one opted out, one in quiet hours, one now", async () => {
    t.setTime("2026-12-01T23:30:00Z");
    const optedOut = await t.recipient();
    await t.call("PUT", "/notifications/preferences", { token: optedOut.token, body: { categories: { product: { email: false } } } });
    const sleeping = await t.recipient({ timeZone: "UTC", preferences: { quietHours: { start: "22:00", end: "07:00" } } });
    const awake = await t.recipient({ timeZone: "Asia/Tokyo", preferences: { quietHours: { start: "22:00", end: "07:00" } } });
    const admin = await t.issuer.admin();
    const userIds = [optedOut.id, sleeping.id, awake.id];
    const sent = await t.call("POST", "/notifications/send", {
      token: admin.token,
      body: { userIds, type: "system.announcement", data: announcement("To all") },
    });
    expect(sent.status).toBe(202);
    const emails = await Promise.all(sent.json.ids.map(async (id: string) => (await t.deliveriesOf(id)).find((row) => row.channel === "email")));
    // Going out now is `pending`, or already `sent` when the running email worker was quicker.
    const now = (status: string | undefined) => (status === "sent" ? "pending" : status);
    expect(emails.map((row) => [now(row?.status), row?.reason])).toEqual([
      ["skipped", "opted_out"],
      ["held", "quiet_hours"],
      // 08:30 in Tokyo: outside its quiet hours.
      ["pending", null],
    ]);
    expect(emails[1]?.dueAt?.toISOString()).toBe("2026-12-02T07:00:00.000Z");
  });
});

describe("quiet hours", () => {
  const quietHours = { start: "22:00", end: "07:00" };

  test("a notification due inside them is in the inbox at once and held for email until they end in the user's zone, across the night the clocks go back", async () => {
    // 23:00 in Berlin on 2026-10-24 (summer time); the clocks go back at 03:00, so 07:00 is 06:00Z.
    t.setTime("2026-10-24T21:00:00Z");
    const user = await t.recipient({ timeZone: "Europe/Berlin", preferences: { quietHours } });
    const { notification, email } = await t.announce(user.id, "At night");
    expect(email).toMatchObject({ status: "held", reason: "quiet_hours" });
    expect(email?.dueAt?.toISOString()).toBe("2026-10-25T06:00:00.000Z");
    const inbox = await t.call("GET", `/notifications/${notification.id}`, { token: user.token });
    expect(inbox.json.deliveries.find((delivery: { channel: string }) => delivery.channel === "email")).toMatchObject({
      status: "held",
      reason: "quiet_hours",
    });

    // 06:30 local (05:30Z, winter time now): still quiet. 07:00Z would have been summer time's end.
    t.setTime("2026-10-25T05:30:00Z");
    await releaseHeld({ ctx: t.ctx });
    expect((await t.deliveriesOf(notification.id)).find((row) => row.channel === "email")?.status).toBe("held");
    t.setTime("2026-10-25T06:01:00Z");
    expect((await releaseHeld({ ctx: t.ctx })).released).toBeGreaterThanOrEqual(1);
    await t.smtp.arrived(user.email);
    await eventually(async () => (await t.deliveriesOf(notification.id)).find((row) => row.channel === "email")?.status === "sent");
  });

  test("critical notifications ignore quiet hours; outside them nothing is held", async () => {
    t.setTime("2026-12-01T23:30:00Z");
    const user = await t.recipient({ timeZone: "UTC", preferences: { quietHours } });
    await t.publish("auth.password_reset_requested", { userId: user.id, email: user.email, token: "night-token", expiresAt: t.now().toISOString() });
    await t.smtp.arrived(user.email);
    t.setTime("2026-12-02T12:00:00Z");
    // Going out now: `pending`, or already `sent` when the running email worker was quicker.
    expect(["pending", "sent"]).toContain((await t.announce(user.id, "At noon")).email?.status ?? "none");
  });
});

describe("digests", () => {
  test("a daily email channel collects notifications into one email at 09:00 local; nothing is sent twice, nothing is lost", async () => {
    // 15:00 in New York (EST) on 2026-12-01: the digest goes at 09:00 local on 2026-12-02, 14:00Z.
    t.setTime("2026-12-01T20:00:00Z");
    const daily = { ...defaultPreferences.notifications, email: { enabled: true, frequency: "daily" as const } };
    const user = await t.recipient({ timeZone: "America/New_York", preferences: { notifications: daily } });
    const held = [];
    for (const title of ["First", "Second", "Third"]) held.push(await t.announce(user.id, title));
    for (const { email } of held) {
      expect(email).toMatchObject({ status: "held", reason: "digest" });
      expect(email?.dueAt?.toISOString()).toBe("2026-12-02T14:00:00.000Z");
    }
    // A critical one is not held for the digest.
    await t.publish("auth.password_changed", { userId: user.id, via: "reset" });
    await t.smtp.arrived(user.email);

    t.setTime("2026-12-02T13:50:00Z");
    expect((await releaseHeld({ ctx: t.ctx })).gathered).toBe(0);
    t.setTime("2026-12-02T14:01:00Z");
    expect((await releaseHeld({ ctx: t.ctx })).gathered).toBe(3);
    const [digestEmail] = await eventually(() => {
      const digestsSent = t.smtp.to(user.email).filter((mail) => mail.subject === "3 new notifications");
      return digestsSent.length === 1 && digestsSent;
    });
    for (const title of ["First", "Second", "Third"]) expect(digestEmail?.text).toContain(`About ${title}`);
    expect(digestEmail?.html).toContain("About First");

    const [digest] = await t.db.select().from(digests).where(eq(digests.userId, user.id));
    await eventually(async () => (await t.db.select().from(digests).where(eq(digests.userId, user.id)))[0]?.status === "sent");
    for (const { email } of held) {
      const [row] = await t.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.id, email?.id ?? ""));
      expect(row).toMatchObject({ status: "sent", reason: "digest", digestId: digest?.id, messageId: `<${digest?.id}@lodge.test>` });
    }
    // The sweep again, and the job again: no second digest.
    await releaseHeld({ ctx: t.ctx });
    expect(await deliverDigest({ ctx: t.ctx, input: { digestId: digest?.id ?? "", lastAttempt: false } })).toEqual({ status: "already_done" });
    expect(t.smtp.to(user.email).filter((mail) => mail.subject?.includes("new notification"))).toHaveLength(1);

    // What arrives after the digest waits for the next one.
    const later = await t.announce(user.id, "Fourth");
    expect(later.email?.dueAt?.toISOString()).toBe("2026-12-03T14:00:00.000Z");
  });

  test("a weekly digest goes on Monday at 09:00 local, in German for a German reader", async () => {
    // Tuesday 2026-12-01, Berlin: the next Monday is 2026-12-07, 09:00 CET = 08:00Z.
    t.setTime("2026-12-01T10:00:00Z");
    const weekly = { ...defaultPreferences.notifications, email: { enabled: true, frequency: "weekly" as const } };
    const user = await t.recipient({ timeZone: "Europe/Berlin", preferences: { language: "de", notifications: weekly } });
    const { email } = await t.announce(user.id, "Wöchentlich");
    expect(email?.dueAt?.toISOString()).toBe("2026-12-07T08:00:00.000Z");
    t.setTime("2026-12-07T08:05:00Z");
    await releaseHeld({ ctx: t.ctx });
    const [mail] = await t.smtp.arrived(user.email);
    expect(mail?.subject).toBe("1 neue Benachrichtigung");
    expect(mail?.text).toContain("Wöchentlich");
  });
});

describe("the sweep", () => {
  test("re-queues a pending delivery whose job was lost (a crash between commit and queueing)", async () => {
    // Workers off, so the job stays queued until this test removes it as a crash would have lost it.
    const quiet = await startTestNotifications({ jobs: false });
    try {
      const user = await quiet.user();
      const sweepCtx = { deps: quiet.deps, logger: quiet.deps.logger };
      const data = announcement("Lost job");
      const notification = await createNotification({
        ctx: sweepCtx,
        input: { userId: user.id, type: "system.announcement", data, email: `${user.id}@example.com` },
      });
      const email = (await quiet.deliveriesOf(notification.id)).find((row) => row.channel === "email");
      expect(email?.status).toBe("pending");
      await quiet.deps.deliveryQueues.email.remove(email?.id ?? "");
      expect(await quiet.deps.deliveryQueues.email.getJob(email?.id ?? "")).toBeUndefined();
      await releaseHeld({ ctx: sweepCtx });
      expect((await quiet.deps.deliveryQueues.email.getJob(email?.id ?? ""))?.data.deliveryId).toBe(email?.id);
    } finally {
      await quiet.close();
    }
  });
});
