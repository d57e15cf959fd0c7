import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { profiles } from "@lodge/db/schema";
import { eventually, readStream } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { startTestUsers, type TestUsers } from "./harness";

/**
 * A profile's own rules (first reads, PATCH, validation, what others see) need only tokens, so they
 * run on the user service alone with the test issuer; `user.registered` is published as auth does.
 */
let stack: TestUsers;
beforeAll(async () => {
  stack = await startTestUsers();
});
afterAll(() => stack.close());

async function profileRow(userId: string) {
  return (await stack.db.select().from(profiles).where(eq(profiles.userId, userId)))[0];
}

/** The `user.profile_updated` events about `userId`, oldest first. */
async function profileEvents(userId: string) {
  return (await readStream(stack.redis, stack.prefix, "user.profile_updated")).filter((event) => event.data.userId === userId);
}

/** An access token for an account not announced (yet): the user service sees a first read before `user.registered`. */
async function tokenForUnannouncedUser() {
  const { id, token } = await stack.issuer.user();
  return { userId: id, token };
}

describe("profiles", () => {
  test("a first read before user.registered creates the profile; the event then fills in the email, once, however often it comes", async () => {
    const { userId, token } = await tokenForUnannouncedUser();
    const first = await stack.call("GET", "/users/me", { token });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ id: userId, email: null, displayName: null });
    // Concurrent first reads create one profile.
    const reads = await Promise.all([1, 2, 3].map(() => stack.call("GET", "/users/me", { token })));
    expect(reads.map((read) => read.json.createdAt)).toEqual([first.json.createdAt, first.json.createdAt, first.json.createdAt]);
    expect((await stack.call("PATCH", "/users/me", { token, body: { displayName: "Chosen first" } })).status).toBe(200);

    const data = { userId, email: "late@example.com", name: "Name at registration" };
    await stack.user.deps.bus.publish("user.registered", data);
    await eventually(async () => (await profileRow(userId))?.email === "late@example.com");
    await stack.user.deps.bus.publish("user.registered", data);
    await stack.user.deps.bus.publish("user.registered", { ...data, email: "late@example.com" });
    const me = await stack.call("GET", "/users/me", { token });
    expect(me.json).toMatchObject({ email: "late@example.com", displayName: "Chosen first", createdAt: first.json.createdAt });
    expect(await stack.db.select().from(profiles).where(eq(profiles.userId, userId))).toHaveLength(1);
  });

  test("PATCH changes only what is sent, in canonical form, and publishes the fields that changed", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    const patched = await stack.call("PATCH", "/users/me", {
      token: user.accessToken,
      body: { displayName: "  Grace  ", bio: "Line one\nLine two 👩‍💻", locale: "pt-br", timezone: "america/sao_paulo" },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      displayName: "Grace",
      bio: "Line one\nLine two 👩‍💻",
      locale: "pt-BR",
      timezone: "America/Sao_Paulo",
      email: user.email,
    });
    const event = await eventually(async () => (await profileEvents(user.id))[0]);
    expect(event.data.changed).toEqual(["displayName", "bio", "locale", "timezone"]);
    // The new locale and time zone come with the event, canonical.
    expect(event.data).toEqual({ userId: user.id, changed: ["displayName", "bio", "locale", "timezone"], locale: "pt-BR", timezone: "America/Sao_Paulo" });

    const again = await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { timezone: "Asia/Tokyo", displayName: "Grace" } });
    expect(again.json).toMatchObject({ displayName: "Grace", bio: "Line one\nLine two 👩‍💻", timezone: "Asia/Tokyo" });
    expect((await eventually(async () => (await profileEvents(user.id))[1])).data.changed).toEqual(["timezone"]);
    expect((await profileEvents(user.id))[1]?.data).toEqual({ userId: user.id, changed: ["timezone"], timezone: "Asia/Tokyo" });

    const cleared = await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { displayName: null, bio: null } });
    expect(cleared.json).toMatchObject({ displayName: null, bio: null, timezone: "Asia/Tokyo" });
    // Neither locale nor time zone changed: the event names the fields and carries no values.
    expect((await eventually(async () => (await profileEvents(user.id))[2])).data).toEqual({ userId: user.id, changed: ["displayName", "bio"] });
  });

  test("invalid fields are refused with 422 naming them, and nothing is written", async () => {
    const user = await stack.register();
    await stack.profileArrived(user.id);
    const before = await stack.call("GET", "/users/me", { token: user.accessToken });
    const cases: [Record<string, unknown>, string][] = [
      [{ timezone: "Mars/Olympus" }, "timezone"],
      [{ timezone: "+01:00" }, "timezone"],
      [{ timezone: "" }, "timezone"],
      [{ locale: "en_US" }, "locale"],
      [{ locale: "not a locale" }, "locale"],
      [{ displayName: "" }, "displayName"],
      [{ displayName: "   " }, "displayName"],
      [{ displayName: "x".repeat(101) }, "displayName"],
      [{ displayName: "\u202Eevil" }, "displayName"],
      [{ displayName: "a\u0000b" }, "displayName"],
      [{ displayName: "\ud800" }, "displayName"],
      [{ bio: "x".repeat(1001) }, "bio"],
      [{ bio: "tab\tis a control" }, "bio"],
      [{ avatarFileId: "not-a-uuid" }, "avatarFileId"],
      [{ displayName: 42 }, "displayName"],
      [{ locale: "de", timezone: "Europe/Berlin", role: "admin" }, ""],
      [{}, ""],
    ];
    for (const [body, path] of cases) {
      const response = await stack.call("PATCH", "/users/me", { token: user.accessToken, body });
      expect({ body, status: response.status }).toEqual({ body, status: 422 });
      expect(response.json.error.code).toBe("VALIDATION_FAILED");
      expect(response.json.error.details.map((detail: { path: string }) => detail.path)).toContain(path);
    }
    const after = await stack.call("GET", "/users/me", { token: user.accessToken });
    expect(after.json).toEqual(before.json);
  });

  test("GET /users/:id shows public fields only, to any signed-in user or client; unknown ids are 404", async () => {
    const alice = await stack.register({ name: "Alice" });
    const bob = await stack.register();
    await stack.profileArrived(alice.id);
    await stack.call("PATCH", "/users/me", { token: alice.accessToken, body: { bio: "Hi", timezone: "Europe/Paris" } });
    const seen = await stack.call("GET", `/users/${alice.id}`, { token: bob.accessToken });
    expect(seen.status).toBe(200);
    expect(seen.json).toEqual({ id: alice.id, displayName: "Alice", bio: "Hi", avatar: null, createdAt: expect.any(String) });
    const client = await stack.client("other");
    expect((await stack.call("GET", `/users/${alice.id}`, { token: client })).status).toBe(200);
    expect((await stack.call("GET", `/users/${alice.id}`)).status).toBe(401);
    expect((await stack.call("GET", `/users/${crypto.randomUUID()}`, { token: bob.accessToken })).status).toBe(404);
    expect((await stack.call("GET", "/users/not-a-uuid", { token: bob.accessToken })).status).toBe(422);
    // A client token is not a user: /users/me is refused.
    expect((await stack.call("GET", "/users/me", { token: client })).status).toBe(403);
    expect((await stack.call("GET", "/users/me")).status).toBe(401);
  });
});
