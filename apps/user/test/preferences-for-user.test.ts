import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { preferences, profiles } from "@lodge/db/schema";
import { eventually, expectErrorShape, readStream } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { startTestUsers, type TestUsers } from "./harness";

/**
 * A service client acting for a user (the Telegram bot: `users:preferences` and `X-Lodge-User`)
 * reads the user's profile and reads and writes their preferences exactly as the user would: same
 * answers, same versions, same `user.preferences_updated`. Anything short of that is refused and
 * changes nothing.
 */
let stack: TestUsers;
beforeAll(async () => {
  stack = await startTestUsers();
});
afterAll(() => stack.close());

/** The bot's client token as auth issues it (the bot's scopes). */
const botToken = () => stack.issuer.client("telegram-bot", ["ai:invoke", "notifications:reminders", "users:preferences", "users:settings"]);
/** A request as `token`, naming `actingFor` in X-Lodge-User when given. */
const as = (token: string, actingFor: string | undefined, method: string, path: string, body?: unknown) =>
  stack.call(method, path, { token, body, headers: actingFor === undefined ? {} : { "x-lodge-user": actingFor } });
const preferencesEvents = async (userId: string) =>
  (await readStream(stack.redis, stack.prefix, "user.preferences_updated")).filter((event) => event.data.userId === userId);
const preferencesRow = async (userId: string) => (await stack.db.select().from(preferences).where(eq(preferences.userId, userId)))[0];
const profileRow = async (userId: string) => (await stack.db.select().from(profiles).where(eq(profiles.userId, userId)))[0];

const document = {
  theme: "dark",
  language: "de-de",
  notifications: {
    email: { enabled: true, frequency: "daily" },
    push: { enabled: false, frequency: "instant" },
    telegram: { enabled: true, frequency: "weekly" },
  },
  quietHours: { start: "22:30", end: "07:00" },
};

describe("a client with users:preferences, for the user it names", () => {
  test("reads and writes the user's preferences: the user sees the change, and the event is the one the user's own save publishes", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    const bot = await botToken();
    const initial = await as(bot, user.id, "GET", "/users/me/preferences");
    expect(initial.status).toBe(200);
    expect(initial.json).toEqual((await as(user.accessToken, undefined, "GET", "/users/me/preferences")).json);
    expect(initial.json.version).toBe(0);

    const byBot = await as(bot, user.id, "PUT", "/users/me/preferences", { version: 0, preferences: document });
    expect(byBot.status).toBe(200);
    expect(byBot.json).toMatchObject({ version: 1, preferences: { ...document, language: "de-DE" } });
    expect((await as(user.accessToken, undefined, "GET", "/users/me/preferences")).json).toEqual(byBot.json);

    // The user carries on from the bot's version (naming themselves is allowed); a stale one from the bot is a 409.
    const byUser = await as(user.accessToken, user.id, "PUT", "/users/me/preferences", { version: 1, preferences: { ...document, theme: "light" } });
    expect(byUser.json.version).toBe(2);
    const stale = await as(bot, user.id, "PUT", "/users/me/preferences", { version: 1, preferences: document });
    expect(stale.status).toBe(409);
    expect(stale.json.error).toMatchObject({ code: "CONFLICT", details: { currentVersion: 2 } });
    expect((await as(bot, user.id, "GET", "/users/me/preferences")).json).toEqual(byUser.json);

    const events = await eventually(async () => {
      const found = await preferencesEvents(user.id);
      return found.length === 2 ? found : undefined;
    });
    expect(events.map((event) => event.data)).toEqual([
      { userId: user.id, version: 1, preferences: byBot.json.preferences, updatedAt: byBot.json.updatedAt },
      { userId: user.id, version: 2, preferences: byUser.json.preferences, updatedAt: byUser.json.updatedAt },
    ]);
    // The same envelope either way (nothing says or leaks who called).
    const [fromBot, fromUser] = events.map((event) => Object.keys(event).sort());
    expect(fromBot).toEqual(fromUser as string[]);
  });

  test("reads the user's profile (their time zone and locale) as the user reads it", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    expect((await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { timezone: "Europe/Berlin", locale: "de-DE" } })).status).toBe(200);
    const own = await stack.call("GET", "/users/me", { token: user.accessToken });
    const byBot = await as(await botToken(), user.id.toUpperCase(), "GET", "/users/me");
    expect(byBot.status).toBe(200);
    expect(byBot.json).toEqual(own.json);
    expect(byBot.json).toMatchObject({ id: user.id, timezone: "Europe/Berlin", locale: "de-DE" });
  });

  test("an unknown account, or one being deleted, is a 404 to it, and no profile is made", async () => {
    const bot = await botToken();
    const nobody = Bun.randomUUIDv7();
    const leaving = await stack.register();
    await stack.profileArrived(leaving.id);
    expect((await stack.call("DELETE", "/users/me", { token: leaving.accessToken })).status).toBe(202);
    for (const userId of [nobody, leaving.id]) {
      for (const [method, path, body] of [
        ["GET", "/users/me", undefined],
        ["GET", "/users/me/preferences", undefined],
        ["PUT", "/users/me/preferences", { version: 0, preferences: document }],
      ] as const) {
        const reply = await as(bot, userId, method, path, body);
        expect({ userId, method, path, status: reply.status }).toEqual({ userId, method, path, status: 404 });
        expectErrorShape(reply, `${method} ${path}`);
      }
      expect(await preferencesRow(userId)).toBeUndefined();
    }
    expect(await profileRow(nobody)).toBeUndefined();
    // The user's own token is told as before.
    expect((await stack.call("GET", "/users/me", { token: leaving.accessToken })).status).toBe(401);
  });
});

describe("refused", () => {
  test("a client without the scope or naming no one, a user's or admin's token naming someone else: 403, nothing changed", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    const other = await stack.register();
    const admin = await stack.admin();
    const before = { profile: await profileRow(user.id), preferences: await preferencesRow(user.id) };
    for (const [label, token, actingFor] of [
      ["a client with users:settings only", await stack.client("notifications"), user.id],
      ["a client with users:read only", await stack.client("other"), user.id],
      ["a client naming no user", await botToken(), undefined],
      ["another user's token", other.accessToken, user.id],
      ["an admin's token", admin.accessToken, user.id],
    ] as const) {
      for (const [method, path, body] of [
        ["GET", "/users/me", undefined],
        ["GET", "/users/me/preferences", undefined],
        ["PUT", "/users/me/preferences", { version: 0, preferences: document }],
      ] as const) {
        const reply = await as(token, actingFor, method, path, body);
        expect({ label, method, path, status: reply.status }).toEqual({ label, method, path, status: 403 });
        expectErrorShape(reply, `${label} ${method} ${path}`);
      }
    }
    expect({ profile: await profileRow(user.id), preferences: await preferencesRow(user.id) }).toEqual(before);
  });

  test("the user's other /users/me routes stay the user's: a client with the scope is 403 there", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    const bot = await botToken();
    for (const [method, path, body] of [
      ["PATCH", "/users/me", { displayName: "Not me" }],
      ["DELETE", "/users/me", undefined],
      ["GET", "/users/me/export", undefined],
    ] as const) {
      const reply = await as(bot, user.id, method, path, body);
      expect({ method, path, status: reply.status }).toEqual({ method, path, status: 403 });
    }
    expect((await profileRow(user.id))?.displayName).toBeNull();
    expect((await stack.call("GET", "/users/me", { token: user.accessToken })).status).toBe(200);
  });

  test("an X-Lodge-User that is not a user id is 422 in the error shape", async () => {
    const bot = await botToken();
    for (const bad of ["not-a-uuid", "../../etc/passwd", "' OR 1=1 --", `${Bun.randomUUIDv7()}x`]) {
      for (const [method, path, body] of [
        ["GET", "/users/me", undefined],
        ["GET", "/users/me/preferences", undefined],
        ["PUT", "/users/me/preferences", { version: 0, preferences: document }],
      ] as const) {
        const reply = await as(bot, bad, method, path, body);
        expect({ bad, path, status: reply.status }).toEqual({ bad, path, status: 422 });
        expectErrorShape(reply, `${bad} ${method} ${path}`);
      }
    }
  });
});
