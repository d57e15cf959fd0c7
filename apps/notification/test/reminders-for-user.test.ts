import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { notifications, reminders } from "@lodge/db/schema";
import { expectErrorShape } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { eraseUser } from "../src/services/erase-user";
import { rememberRecipient } from "../src/services/remember-recipient";
import { startTestNotifications, type TestNotifications } from "./harness";

/**
 * Reminders managed by a service client for a user (the Telegram bot: `notifications:reminders` and
 * `X-Lodge-User`): the reminder is the user's, in their time zone and under their limits, exactly
 * as if they had called; anything short of that is refused and stores nothing.
 */
let t: TestNotifications;
beforeAll(async () => {
  t = await startTestNotifications({ env: { NOTIFICATION_REMINDERS_PER_USER: "3" } });
});
afterAll(() => t.close());

/** The bot's client token as auth issues it (the bot's scopes), valid at the clock's current time. */
const botToken = () => t.issuer.client("telegram-bot", ["ai:invoke", "notifications:reminders", "users:preferences", "users:settings"]);

async function userIn(timeZone?: string) {
  const user = await t.user();
  if (timeZone) await rememberRecipient({ ctx: t.ctx, input: { userId: user.id, timeZone } });
  return user;
}
/** A request as `token`, naming `actingFor` in X-Lodge-User when given. */
const as = (token: string, actingFor: string | undefined, method: string, path: string, body?: unknown) =>
  t.call(method, path, { token, body, headers: actingFor === undefined ? {} : { "x-lodge-user": actingFor } });
const create = (token: string, actingFor: string | undefined, body: unknown) => as(token, actingFor, "POST", "/notifications/reminders", body);
const list = (token: string, actingFor?: string) => as(token, actingFor, "GET", "/notifications/reminders");
const remove = (token: string, actingFor: string | undefined, id: string) => as(token, actingFor, "DELETE", `/notifications/reminders/${id}`);
const rowsOf = (userId: string) => t.db.select().from(reminders).where(eq(reminders.userId, userId));
const allRows = () => t.db.select().from(reminders).orderBy(reminders.id);
const texts = (reply: { json: { reminders: { text: string }[] } }) => reply.json.reminders.map((reminder) => reminder.text);

describe("a client with notifications:reminders, for the user it names", () => {
  test("creates the user's reminder in their time zone; it fires for them; the user and the client list it; the client deletes it", async () => {
    t.setTime("2026-12-01T10:00:00Z");
    const user = await userIn("Europe/Berlin");
    let bot = await botToken();
    const created = await create(bot, user.id, { text: "Buy bread", at: "2026-12-24T09:00", repeat: "daily" });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ timeZone: "Europe/Berlin", startsAt: "2026-12-24T09:00:00", nextAt: "2026-12-24T08:00:00.000Z" });
    expect((await rowsOf(user.id)).map((row) => row.id)).toEqual([created.json.id]);

    // The user's own token sees it; the client sees it for this user only; an upper-case id names the same user.
    expect(texts(await list(user.token))).toEqual(["Buy bread"]);
    expect(texts(await list(bot, user.id.toUpperCase()))).toEqual(["Buy bread"]);
    expect(texts(await list(bot, (await t.user()).id))).toEqual([]);

    t.setTime("2026-12-24T08:00:00Z");
    await t.runDue();
    const fired = await t.db.select().from(notifications).where(eq(notifications.userId, user.id));
    expect(fired.map((row) => row.title)).toEqual(["Reminder: Buy bread"]);

    bot = await botToken();
    expect((await remove(bot, user.id, created.json.id)).status).toBe(204);
    expect(texts(await list((await t.issuer.user({ id: user.id })).token))).toEqual([]);
  });

  test("the user's limit counts the client's reminders and the user's own together", async () => {
    t.setTime("2026-12-01T10:00:00Z");
    const user = await userIn();
    const bot = await botToken();
    expect((await create(user.token, undefined, { text: "mine 1", at: "2026-12-05T09:00" })).status).toBe(201);
    expect((await create(user.token, user.id, { text: "mine 2", at: "2026-12-05T09:00" })).status).toBe(201);
    expect((await create(bot, user.id, { text: "from the bot", at: "2026-12-05T09:00" })).status).toBe(201);
    const over = await create(bot, user.id, { text: "one too many", at: "2026-12-05T09:00" });
    expect(over.status).toBe(409);
    expectErrorShape(over, "over the user's limit");
    // Another user's limit is their own.
    expect((await create(bot, (await userIn()).id, { text: "theirs", at: "2026-12-05T09:00" })).status).toBe(201);
  });

  test("acting for one user, another user's reminder is a 404 and stays", async () => {
    t.setTime("2026-12-01T10:00:00Z");
    const [alice, bob] = [await userIn(), await userIn()];
    const bot = await botToken();
    const bobs = await create(bob.token, undefined, { text: "Bob's", at: "2026-12-03T09:00" });
    const refused = await remove(bot, alice.id, bobs.json.id);
    expect(refused.status).toBe(404);
    expectErrorShape(refused, "another user's reminder");
    expect(texts(await list(bot, alice.id))).toEqual([]);
    expect((await rowsOf(bob.id)).map((row) => row.id)).toEqual([bobs.json.id]);
  });

  test("a user whose data was erased is a 404: nothing is kept for them again", async () => {
    t.setTime("2026-12-01T10:00:00Z");
    const user = await userIn();
    const bot = await botToken();
    await eraseUser({ ctx: t.ctx, input: { userId: user.id } });
    const refused = await create(bot, user.id, { text: "Too late", at: "2026-12-03T09:00" });
    expect(refused.status).toBe(404);
    expectErrorShape(refused, "an erased user");
    expect(await rowsOf(user.id)).toEqual([]);
  });
});

describe("refused", () => {
  test("a client without the scope or naming no user, and a user's or admin's token naming someone else: 403, nothing changed", async () => {
    t.setTime("2026-12-01T10:00:00Z");
    const [alice, bob] = [await userIn(), await userIn()];
    const bot = await botToken();
    const kept = await create(alice.token, undefined, { text: "Alice's", at: "2026-12-03T09:00" });
    const sender = await t.issuer.client("reports", ["notifications:send"]);
    const admin = await t.issuer.admin();
    const before = await allRows();
    for (const [label, token, actingFor] of [
      ["a client without the scope", sender, alice.id],
      ["a client naming no user", bot, undefined],
      ["another user's token", bob.token, alice.id],
      ["an admin's token", admin.token, alice.id],
    ] as const) {
      for (const reply of [
        await create(token, actingFor, { text: "Not stored", at: "2026-12-03T09:00" }),
        await list(token, actingFor),
        await remove(token, actingFor, kept.json.id),
      ]) {
        expect({ label, status: reply.status }).toEqual({ label, status: 403 });
        expectErrorShape(reply, label);
      }
    }
    expect(await allRows()).toEqual(before);
  });

  test("an X-Lodge-User that is not a user id is 422 in the error shape; nothing stored", async () => {
    const bot = await botToken();
    const before = await allRows();
    for (const bad of ["not-a-uuid", "../../etc/passwd", "' OR 1=1 --", `${Bun.randomUUIDv7()}x`]) {
      for (const reply of [await create(bot, bad, { text: "x", at: "2026-12-03T09:00" }), await list(bot, bad), await remove(bot, bad, Bun.randomUUIDv7())]) {
        expect({ bad, status: reply.status }).toEqual({ bad, status: 422 });
        expectErrorShape(reply, bad);
      }
    }
    expect(await allRows()).toEqual(before);
  });
});
