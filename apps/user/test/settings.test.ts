import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestUsers, type TestUsers } from "./harness";

/**
 * GET /users/:id/settings: what the notification service reads about a user its local copy misses.
 * Tokens from the test issuer, as auth signs them; only a client with `users:settings` may read.
 */
let stack: TestUsers;
let settingsToken: string;
beforeAll(async () => {
  stack = await startTestUsers();
  settingsToken = await stack.client("notifications");
});
afterAll(() => stack.close());

const settingsOf = (userId: string, token?: string) => stack.call("GET", `/users/${userId}/settings`, { token: token ?? settingsToken });

describe("notification settings", () => {
  test("the defaults until the user saves anything, then their locale, time zone, language, channels and quiet hours", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    const defaults = await settingsOf(user.id);
    expect(defaults.status).toBe(200);
    expect(defaults.json).toEqual({
      userId: user.id,
      locale: "en",
      timezone: "UTC",
      language: "en",
      notifications: {
        email: { enabled: true, frequency: "instant" },
        push: { enabled: true, frequency: "instant" },
        telegram: { enabled: false, frequency: "instant" },
      },
      quietHours: null,
      version: 0,
    });

    await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { locale: "de-de", timezone: "europe/berlin", displayName: "Greta" } });
    const notifications = {
      email: { enabled: true, frequency: "daily" },
      push: { enabled: false, frequency: "instant" },
      telegram: { enabled: true, frequency: "weekly" },
    };
    const saved = await stack.call("PUT", "/users/me/preferences", {
      token: user.accessToken,
      body: { version: 0, preferences: { theme: "dark", language: "de", notifications, quietHours: { start: "22:00", end: "07:30" } } },
    });
    expect(saved.status).toBe(200);
    // Only what notifications need: no theme, display name or email.
    expect((await settingsOf(user.id)).json).toEqual({
      userId: user.id,
      locale: "de-DE",
      timezone: "Europe/Berlin",
      language: "de",
      notifications,
      quietHours: { start: "22:00", end: "07:30" },
      version: 1,
    });
  });

  test("only a client with users:settings may read them; unknown, deleted and malformed ids are refused", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    const admin = await stack.admin();
    expect((await settingsOf(user.id, await stack.client("other"))).status).toBe(403);
    expect((await settingsOf(user.id, user.accessToken)).status).toBe(403);
    expect((await settingsOf(user.id, admin.accessToken)).status).toBe(403);
    const anonymous = await stack.call("GET", `/users/${user.id}/settings`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error.code).toBe("UNAUTHORIZED");

    const unknown = await settingsOf(crypto.randomUUID());
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe("NOT_FOUND");
    expect((await settingsOf("not-a-uuid")).status).toBe(422);

    // Once the deletion is requested (a fresh sign-in needs no password) the account is gone here too.
    expect((await stack.call("DELETE", "/users/me", { token: user.accessToken })).status).toBe(202);
    const deleted = await settingsOf(user.id);
    expect(deleted.status).toBe(404);
    expect(deleted.json.error.code).toBe("NOT_FOUND");
  });
});
