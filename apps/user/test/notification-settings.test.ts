import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { notifications, recipients } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { startTestStack, type TestStack } from "./harness";

/**
 * The notification service's copy of a user's settings, fed by the user service's events, and
 * read from GET /users/{id}/settings with the notification service's own client token when the
 * copy misses the user (saved before that service ran, or its events not seen yet).
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

const recipientOf = async (userId: string) => (await stack.db.select().from(recipients).where(eq(recipients.userId, userId)))[0];

describe("the notification service's copy of a user's settings", () => {
  test("follows the user's saves, and on a miss is read from the user service before a notification is written", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { timezone: "Europe/Berlin" } });
    const current = await stack.call("GET", "/users/me/preferences", { token: user.accessToken });
    const preferences = { ...current.json.preferences, language: "de", quietHours: { start: "22:00", end: "07:00" } };
    expect((await stack.call("PUT", "/users/me/preferences", { token: user.accessToken, body: { version: 0, preferences } })).status).toBe(200);
    const fed = await eventually(async () => {
      const row = await recipientOf(user.id);
      return row?.preferencesVersion === 1 && row.timeZone === "Europe/Berlin" && row;
    });
    expect(fed).toMatchObject({ locale: "de", settings: { quietHours: { start: "22:00", end: "07:00" } } });

    // As if the events had never reached it: the copy forgets the settings.
    await stack.db.update(recipients).set({ locale: null, timeZone: null, settings: null, preferencesVersion: null }).where(eq(recipients.userId, user.id));
    expect((await stack.callAuth("POST", "/auth/password/forgot", { body: { email: user.email } })).status).toBeLessThan(300);
    const [notification] = await eventually(async () => {
      const rows = await stack.db.select().from(notifications).where(eq(notifications.userId, user.id));
      return rows.length === 1 && rows;
    });
    // Written in German: the settings were read before it was.
    expect(notification?.title).toBe("Passwort-Zurücksetzung angefordert");
    expect(await recipientOf(user.id)).toMatchObject({
      locale: "de",
      timeZone: "Europe/Berlin",
      preferencesVersion: 1,
      settings: { quietHours: { start: "22:00", end: "07:00" }, notifications: preferences.notifications },
    });
  });

  test("a user who never saved preferences is read once (version 0, the defaults) and keeps the profile's locale", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { locale: "de-DE" } });
    await eventually(async () => (await recipientOf(user.id))?.locale === "de-DE");
    expect((await recipientOf(user.id))?.preferencesVersion).toBeNull();
    expect((await stack.callAuth("POST", "/auth/password/forgot", { body: { email: user.email } })).status).toBeLessThan(300);
    const row = await eventually(async () => {
      const found = await recipientOf(user.id);
      return found?.preferencesVersion === 0 && found;
    });
    expect(row).toMatchObject({ locale: "de-DE", settings: { quietHours: null, notifications: { telegram: { enabled: false, frequency: "instant" } } } });
  });
});
