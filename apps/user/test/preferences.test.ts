import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventData } from "@lodge/events";
import { eventually, readStream } from "@lodge/kit/testing";
import { startTestUsers, type TestUsers } from "./harness";

let stack: TestUsers;
beforeAll(async () => {
  stack = await startTestUsers();
});
afterAll(() => stack.close());

/** The `user.preferences_updated` events about `userId`, oldest first. */
async function preferencesEvents(userId: string) {
  return (await readStream(stack.redis, stack.prefix, "user.preferences_updated")).filter((event) => event.data.userId === userId);
}

/** The user's preferences events once there are `count` of them (the outbox relays each just after its commit). */
async function preferencesEventsOnce(userId: string, count: number) {
  return eventually(async () => {
    const found = await preferencesEvents(userId);
    return found.length >= count && found;
  });
}

describe("preferences", () => {
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

  test("defaults at version 0, then each PUT bumps the version; a stale version is a 409 with the current one", async () => {
    const user = await stack.register();
    const initial = await stack.call("GET", "/users/me/preferences", { token: user.accessToken });
    expect(initial.json).toMatchObject({ version: 0, updatedAt: null, preferences: { theme: "system", language: "en", quietHours: null } });
    const saved = await stack.call("PUT", "/users/me/preferences", { token: user.accessToken, body: { version: 0, preferences: document } });
    expect(saved.status).toBe(200);
    expect(saved.json).toMatchObject({ version: 1, preferences: { ...document, language: "de-DE" } });
    expect((await stack.call("GET", "/users/me/preferences", { token: user.accessToken })).json).toEqual(saved.json);

    const stale = await stack.call("PUT", "/users/me/preferences", { token: user.accessToken, body: { version: 0, preferences: document } });
    expect(stale.status).toBe(409);
    expect(stale.json.error).toMatchObject({ code: "CONFLICT", details: { currentVersion: 1 } });

    // Two devices saving the same version at once: one wins, the other is told.
    const light = { ...document, theme: "light" };
    const both = await Promise.all(
      [light, document].map((preferences) => stack.call("PUT", "/users/me/preferences", { token: user.accessToken, body: { version: 1, preferences } })),
    );
    expect(both.map((response) => response.status).sort()).toEqual([200, 409]);
    expect((await stack.call("GET", "/users/me/preferences", { token: user.accessToken })).json.version).toBe(2);
  });

  test("each save publishes user.preferences_updated with the whole document and its version; a refused save publishes nothing", async () => {
    const user = await stack.register();
    const put = (version: number, preferences: unknown) =>
      stack.call("PUT", "/users/me/preferences", { token: user.accessToken, body: { version, preferences } });
    const first = await put(0, document);
    expect(first.status).toBe(200);
    expect((await put(0, document)).status).toBe(409);
    const second = await put(1, { ...document, quietHours: null });
    expect(second.status).toBe(200);
    expect((await put(1, document)).status).toBe(409);

    const events = await eventually(async () => {
      const found = await preferencesEvents(user.id);
      return found.length === 2 ? found : undefined;
    });
    expect(events.map((event) => event.data)).toEqual([
      { userId: user.id, version: 1, preferences: first.json.preferences, updatedAt: first.json.updatedAt },
      { userId: user.id, version: 2, preferences: second.json.preferences, updatedAt: second.json.updatedAt },
    ]);
    // The document in canonical form, every field of it: the catalog's schema drops none.
    expect(events[0]?.data.preferences).toMatchObject({ language: "de-DE", quietHours: document.quietHours });
    for (const event of events) expect(eventData["user.preferences_updated"].parse(event.data) as unknown).toEqual(event.data);
    // A refused save (409, 422) published nothing: the next save's event is the only one after these.
    expect((await put(2, { ...document, theme: "neon" })).status).toBe(422);
    expect((await put(2, document)).status).toBe(200);
    const after = await eventually(async () => {
      const found = await preferencesEvents(user.id);
      return found.length >= 3 ? found : undefined;
    });
    expect(after.map((event) => event.data.version)).toEqual([1, 2, 3]);
  });

  test("unknown keys, wrong types and invalid values are refused with 422 naming the field; nothing is saved", async () => {
    const user = await stack.register();
    const put = (body: unknown) => stack.call("PUT", "/users/me/preferences", { token: user.accessToken, body });
    const unknown = await put({
      version: 0,
      preferences: { ...document, notifications: { ...document.notifications, sms: { enabled: true, frequency: "daily" } } },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error.details).toEqual([{ path: "preferences.notifications", message: expect.stringContaining("sms") }]);
    const cases: [unknown, string][] = [
      [{ version: 0, preferences: { ...document, fontSize: 3 } }, "preferences"],
      [{ version: 0, preferences: document, extra: true }, ""],
      [{ version: 0, preferences: { ...document, theme: "neon" } }, "preferences.theme"],
      [{ version: 0, preferences: { ...document, language: "xx_YY" } }, "preferences.language"],
      [{ version: 0, preferences: { ...document, quietHours: { start: "25:00", end: "07:00" } } }, "preferences.quietHours.start"],
      [{ version: 0, preferences: { ...document, quietHours: { start: "07:00", end: "07:00" } } }, "preferences.quietHours"],
      [
        { version: 0, preferences: { ...document, notifications: { ...document.notifications, push: { enabled: "yes", frequency: "daily" } } } },
        "preferences.notifications.push.enabled",
      ],
      [{ version: -1, preferences: document }, "version"],
      [{ version: 1.5, preferences: document }, "version"],
      [{ version: 0 }, "preferences"],
      [{ version: 0, preferences: { theme: "dark" } }, "preferences.language"],
    ];
    for (const [body, path] of cases) {
      const response = await put(body);
      expect({ body, status: response.status }).toEqual({ body, status: 422 });
      expect(response.json.error.details.map((detail: { path: string }) => detail.path)).toContain(path);
    }
    expect((await stack.call("GET", "/users/me/preferences", { token: user.accessToken })).json.version).toBe(0);
  });
});

describe("admin search", () => {
  test("admins search by email or display name, case-insensitively, page by page; others are refused", async () => {
    const marker = crypto.randomUUID().slice(0, 8);
    const found = [];
    for (let index = 0; index < 5; index++) {
      const user = await stack.register({ name: `Searchable ${marker.toUpperCase()} ${index}` });
      found.push(user);
      await stack.profileArrived(user.id);
    }
    const byEmail = await stack.register({ email: `needle-${marker}@example.com` });
    await stack.profileArrived(byEmail.id);
    const admin = await stack.admin();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/users?q=${marker}&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await stack.call("GET", query, { token: admin.accessToken });
      expect(page.status).toBe(200);
      expect(page.json.users.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.users.map((entry: { id: string }) => entry.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...found.map((user) => user.id), byEmail.id]);

    const email = await stack.call("GET", `/users?q=NEEDLE-${marker}`, { token: admin.accessToken });
    expect(email.json.users).toEqual([expect.objectContaining({ id: byEmail.id, email: byEmail.email, avatar: null })]);
    // % and _ are not wildcards.
    expect((await stack.call("GET", "/users?q=%25", { token: admin.accessToken })).json.users).toEqual([]);

    const user = found[0] as { accessToken: string };
    expect((await stack.call("GET", "/users", { token: user.accessToken })).status).toBe(403);
    expect((await stack.call("GET", "/users", { token: await stack.client("other") })).status).toBe(403);
    expect((await stack.call("GET", "/users")).status).toBe(401);
    for (const bad of ["cursor=garbage", "limit=0", "limit=101", "limit=abc", "q=%00"]) {
      const response = await stack.call("GET", `/users?${bad}`, { token: admin.accessToken });
      expect({ bad, status: response.status }).toEqual({ bad, status: 422 });
    }
  });
});

describe("a Telegram chat linked at the bot (telegram.linked)", () => {
  test("switches the user's Telegram notifications on, as a saved change, and a later link only when they are off", async () => {
    const user = await stack.register();
    await stack.user.deps.bus.publish("telegram.linked", { userId: user.id, chatId: 9001 });
    const switched = await eventually(async () => {
      const response = await stack.call("GET", "/users/me/preferences", { token: user.accessToken });
      return response.json.version === 1 && response.json;
    });
    expect(switched.preferences.notifications).toMatchObject({ telegram: { enabled: true, frequency: "instant" }, email: { enabled: true } });
    expect((await preferencesEventsOnce(user.id, 1)).map((event) => event.data.version)).toEqual([1]);

    // Linked again while on: nothing to save. Switched off on the web, a later link switches it on
    // again. Whichever order the repeated link is handled in, three saves in all.
    await stack.user.deps.bus.publish("telegram.linked", { userId: user.id, chatId: 9001 });
    const off = { ...switched.preferences, notifications: { ...switched.preferences.notifications, telegram: { enabled: false, frequency: "instant" } } };
    const saved = await stack.call("PUT", "/users/me/preferences", { token: user.accessToken, body: { version: 1, preferences: off } });
    expect(saved.status).toBe(200);
    expect(saved.json.version).toBe(2);
    await stack.user.deps.bus.publish("telegram.linked", { userId: user.id, chatId: 9002 });
    await eventually(async () => (await stack.call("GET", "/users/me/preferences", { token: user.accessToken })).json.version === 3);
    const telegramOf = (event: { data: Record<string, unknown> }) => (event.data.preferences as typeof off).notifications.telegram.enabled;
    expect((await preferencesEventsOnce(user.id, 3)).map((event) => [event.data.version, telegramOf(event)])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
  });
});
