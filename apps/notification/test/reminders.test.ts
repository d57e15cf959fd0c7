import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { notifications, reminders } from "@lodge/db/schema";
import { expectErrorShape } from "@lodge/kit/testing";
import { asc, eq } from "drizzle-orm";
import { eraseUser } from "../src/services/erase-user";
import { exportUser } from "../src/services/export-user";
import { fireReminder } from "../src/services/fire-reminder";
import { rememberRecipient } from "../src/services/remember-recipient";
import { startTestNotifications, type TestNotifications } from "./harness";

/**
 * Reminders: local times in the user's zone, repeats at the same local time across the 2026-10-25
 * and 2027-03-28 DST changes in Europe/Berlin (driven by the test clock and the real trigger
 * queue), one notification per occurrence, limits, bad rules, deletion, erasure and export.
 */
let t: TestNotifications;
beforeAll(async () => {
  t = await startTestNotifications({ env: { NOTIFICATION_REMINDERS_PER_USER: "3" } });
});
afterAll(() => t.close());

/** A user in `timeZone`, with a token valid at the clock's current time. */
async function userIn(timeZone?: string) {
  const user = await t.user();
  if (timeZone) await rememberRecipient({ ctx: t.ctx, input: { userId: user.id, timeZone } });
  return user;
}
const create = (token: string, body: unknown) => t.call("POST", "/notifications/reminders", { token, body });
const remindersOf = (userId: string) => t.db.select().from(notifications).where(eq(notifications.userId, userId)).orderBy(asc(notifications.createdAt));

describe("a daily reminder across DST in Europe/Berlin", () => {
  for (const [label, from, expected] of [
    ["autumn (2026-10-25, CEST → CET)", "2026-10-23T12:00:00Z", ["2026-10-24T07:00:00.000Z", "2026-10-25T08:00:00.000Z", "2026-10-26T08:00:00.000Z"]],
    ["spring (2027-03-28, CET → CEST)", "2027-03-26T12:00:00Z", ["2027-03-27T08:00:00.000Z", "2027-03-28T07:00:00.000Z", "2027-03-29T07:00:00.000Z"]],
  ] as const) {
    test(`fires at 09:00 local every day in the ${label}, one notification each`, async () => {
      t.setTime(from);
      const user = await userIn("Europe/Berlin");
      const day = from.slice(0, 8) + String(Number(from.slice(8, 10)) + 1).padStart(2, "0");
      const created = await create(user.token, { text: "Water the plants", at: `${day}T09:00`, repeat: "daily" });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ repeat: "FREQ=DAILY", timeZone: "Europe/Berlin", startsAt: `${day}T09:00:00`, nextAt: expected[0] });
      for (const [index, occurrence] of expected.entries()) {
        await t.runDue();
        expect(await remindersOf(user.id)).toHaveLength(index);
        t.setTime(occurrence);
        await t.runDue();
        const made = await remindersOf(user.id);
        expect(made).toHaveLength(index + 1);
        expect(made.at(-1)).toMatchObject({ type: "reminder", category: "reminders", title: "Reminder: Water the plants" });
        expect(made.at(-1)?.data).toEqual({ text: "Water the plants", at: occurrence });
      }
      const [row] = await t.db.select().from(reminders).where(eq(reminders.userId, user.id));
      expect(row?.nextAt.toISOString().slice(11)).toBe(expected[2].slice(11));
    });
  }

  test("a retried or doubled job makes one notification per occurrence", async () => {
    t.setTime("2026-11-02T12:00:00Z");
    const user = await userIn("Europe/Berlin");
    const created = await create(user.token, { text: "Stand-up", at: "2026-11-03T09:30", repeat: "weekdays" });
    t.setTime(created.json.nextAt);
    const fire = () => fireReminder({ ctx: t.ctx, input: { id: created.json.id, occurrence: created.json.nextAt } });
    const outcomes = await Promise.all([fire(), fire(), fire()]);
    expect(outcomes.filter((outcome) => outcome.fired)).toHaveLength(1);
    await t.runDue();
    expect(await remindersOf(user.id)).toHaveLength(1);
    const [row] = await t.db.select().from(reminders).where(eq(reminders.id, created.json.id));
    expect(row?.nextAt.toISOString()).toBe("2026-11-04T08:30:00.000Z");
  });
});

describe("one-off reminders", () => {
  test("a local time is read in the user's zone, an offset time is taken as given; fired once, then gone", async () => {
    t.setTime("2026-12-01T10:00:00Z");
    const user = await userIn("America/New_York");
    const local = await create(user.token, { text: "Call mum", at: "2026-12-24T09:00" });
    expect(local.json).toMatchObject({ nextAt: "2026-12-24T14:00:00.000Z", repeat: null, timeZone: "America/New_York" });
    const offset = await create(user.token, { text: "Flight", at: "2026-12-20T18:00:00+01:00", channels: ["in_app"] });
    expect(offset.json.nextAt).toBe("2026-12-20T17:00:00.000Z");
    const utc = await userIn();
    expect((await create(utc.token, { text: "UTC", at: "2026-12-24T09:00" })).json).toMatchObject({ nextAt: "2026-12-24T09:00:00.000Z", timeZone: "UTC" });

    t.setTime("2026-12-20T17:00:00Z");
    await t.runDue();
    const [flight] = await remindersOf(user.id);
    expect(flight?.title).toBe("Reminder: Flight");
    expect((await t.deliveriesOf(flight?.id as string)).find((row) => row.channel === "email")).toMatchObject({ status: "skipped", reason: "not_requested" });
    const fresh = await t.issuer.user({ id: user.id });
    const listed = await t.call("GET", "/notifications/reminders", { token: fresh.token });
    expect(listed.json.reminders.map((reminder: { text: string }) => reminder.text)).toEqual(["Call mum"]);
  });

  test("deleting: one's own is gone (its job fires nothing), someone else's is a 404", async () => {
    t.setTime("2026-12-01T10:00:00Z");
    const [alice, bob] = [await userIn(), await userIn()];
    const { json } = await create(alice.token, { text: "Dentist", at: "2026-12-02T08:00" });
    const foreign = await t.call("DELETE", `/notifications/reminders/${json.id}`, { token: bob.token });
    expect(foreign.status).toBe(404);
    expectErrorShape(foreign, "someone else's reminder");
    expect((await t.call("DELETE", `/notifications/reminders/${json.id}`, { token: alice.token })).status).toBe(204);
    expect((await t.call("DELETE", `/notifications/reminders/${json.id}`, { token: alice.token })).status).toBe(404);
    t.setTime("2026-12-02T08:00:00Z");
    await t.runDue();
    expect(await remindersOf(alice.id)).toHaveLength(0);
  });
});

describe("idempotency keys", () => {
  test("a creation retried with its key answers the reminder it made, even at once; another body with it is a 409; keys are per user", async () => {
    t.setTime("2026-12-01T10:00:00Z");
    const [alice, bob] = [await userIn("Europe/Berlin"), await userIn()];
    const body = { text: "Water the plants", at: "2026-12-03T08:00", repeat: "daily", idempotencyKey: "telegram-update:4711" };
    const replies = await Promise.all([create(alice.token, body), create(alice.token, body), create(alice.token, { ...body })]);
    expect(replies.map((reply) => reply.status)).toEqual([201, 201, 201]);
    expect(new Set(replies.map((reply) => reply.json.id)).size).toBe(1);
    expect(replies[1]?.json).toEqual(replies[0]?.json);
    // Keys in another order are the same body.
    const { idempotencyKey, ...rest } = body;
    expect((await create(alice.token, { idempotencyKey, ...Object.fromEntries(Object.entries(rest).reverse()) })).json.id).toBe(replies[0]?.json.id);

    const reused = await create(alice.token, { ...body, text: "Water the cactus" });
    expect(reused.status).toBe(409);
    expectErrorShape(reused, "a key used for another reminder");
    expect(reused.json.error.message).toContain("idempotency key");
    expect(await t.db.select().from(reminders).where(eq(reminders.userId, alice.id))).toHaveLength(1);

    const theirs = await create(bob.token, body);
    expect(theirs.status).toBe(201);
    expect(theirs.json.id).not.toBe(replies[0]?.json.id);
    // Without a key, the same body twice is two reminders.
    expect((await create(bob.token, rest)).json.id).not.toBe((await create(bob.token, rest)).json.id);
  });
});

describe("bad input", () => {
  test("bad times, rules and limits are 4xx in the error shape and store nothing", async () => {
    t.setTime("2026-12-01T10:00:00Z");
    const user = await userIn("Europe/Berlin");
    const bad = [
      { text: "x" },
      { text: "x", at: "2026-02-30T09:00" },
      { text: "x", at: "tomorrow" },
      { text: "x", at: "2026-11-30T09:00" },
      { text: "x", at: "2028-01-01T09:00" },
      { text: "x", at: "2026-12-02T09:00", repeat: "hourly-ish" },
      { text: "x", repeat: "FREQ=MINUTELY" },
      { text: "x", repeat: "FREQ=DAILY;BYHOUR=9;BYMINUTE=0,15,30,45" },
      { text: "x", repeat: "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30" },
      { text: "x", repeat: "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30" },
      { text: "x", repeat: "DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY" },
      { text: "x", repeat: "FREQ=DAILY;UNTIL=20200101T000000Z" },
      { text: "x".repeat(501), at: "2026-12-02T09:00" },
      { text: "x", at: "2026-12-02T09:00", channels: ["fax"] },
      { text: "x", at: "2026-12-02T09:00", idempotencyKey: "" },
      { text: "x", at: "2026-12-02T09:00", idempotencyKey: "has space" },
      { text: "x", at: "2026-12-02T09:00", idempotencyKey: "k".repeat(256) },
      { text: "x", at: "2026-12-02T09:00", idempotencyKey: 42 },
    ];
    for (const body of bad) {
      const response = await create(user.token, body);
      expect([400, 422]).toContain(response.status);
      expectErrorShape(response, JSON.stringify(body));
    }
    expect(await t.db.select().from(reminders).where(eq(reminders.userId, user.id))).toEqual([]);
  });

  test("at most NOTIFICATION_REMINDERS_PER_USER each, even created at once", async () => {
    t.setTime("2026-12-01T10:00:00Z");
    const user = await userIn();
    const replies = await Promise.all(Array.from({ length: 6 }, (_, index) => create(user.token, { text: `r${index}`, at: "2026-12-05T09:00" })));
    expect(replies.filter((reply) => reply.status === 201)).toHaveLength(3);
    for (const reply of replies.filter((candidate) => candidate.status !== 201)) {
      expect(reply.status).toBe(409);
      expectErrorShape(reply, "over the limit");
    }
  });
});

describe("erasure and export", () => {
  test("a user's reminders and their place in scheduled sends are exported, then erased", async () => {
    t.setTime("2026-12-01T10:00:00Z");
    const user = await userIn("Europe/Berlin");
    const other = Bun.randomUUIDv7();
    await create(user.token, { text: "Export me", at: "2026-12-03T09:00", repeat: "weekly" });
    const sender = await t.issuer.client("reports", ["notifications:send"]);
    const sendAt = "2026-12-10T09:00:00Z";
    const data = { title: "Later", body: "Soon" };
    const scheduled = await t.call("POST", "/notifications/send", {
      token: sender,
      body: { userIds: [user.id, other], type: "system.announcement", data, sendAt },
    });
    const alone = await t.call("POST", "/notifications/send", { token: sender, body: { userId: user.id, type: "system.announcement", data, sendAt } });

    const exported = await exportUser({ ctx: t.ctx, input: { userId: user.id } });
    expect(exported.reminders.map((reminder) => reminder.text)).toEqual(["Export me"]);
    expect(exported.scheduled.map((send) => send.id).sort()).toEqual([scheduled.json.scheduledId, alone.json.scheduledId].sort());

    await eraseUser({ ctx: t.ctx, input: { userId: user.id } });
    const after = await exportUser({ ctx: t.ctx, input: { userId: user.id } });
    expect(after.reminders).toEqual([]);
    expect(after.scheduled).toEqual([]);
    t.setTime(sendAt);
    await t.runDue();
    expect(await remindersOf(user.id)).toHaveLength(0);
    expect(await remindersOf(other)).toHaveLength(1);
  });
});
