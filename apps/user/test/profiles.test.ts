import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { profiles } from "@lodge/db/schema";
import { eventually, readStream } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { startTestStack, type TestStack } from "./harness";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

async function profileRow(userId: string) {
  return (await stack.db.select().from(profiles).where(eq(profiles.userId, userId)))[0];
}

/** The `user.profile_updated` events about `userId`, oldest first. */
async function profileEvents(userId: string) {
  return (await readStream(stack.redis, stack.prefix, "user.profile_updated")).filter((event) => event.data.userId === userId);
}

/** An access token auth signed for an account it has not announced (yet): the user service sees a first read before `user.registered`. */
async function tokenForUnannouncedUser() {
  const userId = crypto.randomUUID();
  const token = await stack.auth.deps.keys.sign(
    { sid: crypto.randomUUID(), role: "user" },
    { subject: userId, issuer: "lodge", audience: "lodge", ttlSeconds: 900 },
  );
  return { userId, token };
}

describe("profiles", () => {
  test("user.registered creates the profile with the email and the name given at registration", async () => {
    const user = await stack.register({ name: "Ada Lovelace" });
    await stack.profileArrived(user.id);
    const me = await stack.call("GET", "/users/me", { token: user.accessToken });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ id: user.id, email: user.email, displayName: "Ada Lovelace", bio: null, avatar: null, locale: "en", timezone: "UTC" });
  });

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
    await stack.auth.deps.bus.publish("user.registered", data);
    await eventually(async () => (await profileRow(userId))?.email === "late@example.com");
    await stack.auth.deps.bus.publish("user.registered", data);
    await stack.auth.deps.bus.publish("user.registered", { ...data, email: "late@example.com" });
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

    const again = await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { timezone: "Asia/Tokyo", displayName: "Grace" } });
    expect(again.json).toMatchObject({ displayName: "Grace", bio: "Line one\nLine two 👩‍💻", timezone: "Asia/Tokyo" });
    expect((await eventually(async () => (await profileEvents(user.id))[1])).data.changed).toEqual(["timezone"]);

    const cleared = await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { displayName: null, bio: null } });
    expect(cleared.json).toMatchObject({ displayName: null, bio: null, timezone: "Asia/Tokyo" });
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
    const client = await stack.callAuth("POST", "/auth/token", { body: { clientId: "other", clientSecret: "user-service-test-secret-0123456789" } });
    expect((await stack.call("GET", `/users/${alice.id}`, { token: client.json.accessToken })).status).toBe(200);
    expect((await stack.call("GET", `/users/${alice.id}`)).status).toBe(401);
    expect((await stack.call("GET", `/users/${crypto.randomUUID()}`, { token: bob.accessToken })).status).toBe(404);
    expect((await stack.call("GET", "/users/not-a-uuid", { token: bob.accessToken })).status).toBe(422);
    // A client token is not a user: /users/me is refused.
    expect((await stack.call("GET", "/users/me", { token: client.json.accessToken })).status).toBe(403);
    expect((await stack.call("GET", "/users/me")).status).toBe(401);
  });
});

describe("avatars", () => {
  test("an image the user uploaded becomes the avatar, is made public, and is served at two sizes", async () => {
    const user = await stack.register();
    const fileId = await stack.upload(user.accessToken, "png");
    const url = `${stack.fileUrl}/files/${fileId}/content`;
    expect((await fetch(url)).status).not.toBe(200);
    const patched = await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { avatarFileId: fileId } });
    expect(patched.status).toBe(200);
    expect(patched.json.avatar).toEqual({ fileId, url, smallUrl: `${url}?w=128&h=128&fit=cover&format=webp` });
    expect((await stack.fileRow(fileId))?.public).toBe(true);
    expect((await stack.call("GET", `/users/${user.id}`, { token: user.accessToken })).json.avatar).toEqual(patched.json.avatar);
    // Both URLs work as they are, without a token (an <img src>).
    const original = await fetch(patched.json.avatar.url);
    expect(original.status).toBe(200);
    expect(original.headers.get("content-type")).toBe("image/png");
    const small = await fetch(patched.json.avatar.smallUrl);
    expect(small.status).toBe(200);
    expect(small.headers.get("content-type")).toBe("image/webp");

    // The owner deleting the file at the file service takes it off the profile.
    expect((await stack.callFile("DELETE", `/files/${fileId}`, { token: user.accessToken })).status).toBe(204);
    await eventually(async () => (await stack.call("GET", "/users/me", { token: user.accessToken })).json.avatar === null);
    const events = await eventually(async () => {
      const all = await profileEvents(user.id);
      return all.length === 2 ? all : undefined;
    });
    expect(events.map((event) => event.data.changed)).toEqual([["avatarFileId"], ["avatarFileId"]]);
  });

  test("the previous avatar is made private again, unless its owner made it public themselves (issue 7, reliability)", async () => {
    const user = await stack.register();
    const [first, second, own] = [
      await stack.upload(user.accessToken, "png"),
      await stack.upload(user.accessToken, "png"),
      await stack.upload(user.accessToken, "png"),
    ];
    const servedWithoutToken = async (fileId: string) => (await fetch(`${stack.fileUrl}/files/${fileId}/content`)).status === 200;
    const setAvatar = async (avatarFileId: string | null) =>
      expect((await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { avatarFileId } })).status).toBe(200);

    await setAvatar(first);
    expect(await servedWithoutToken(first)).toBe(true);
    await setAvatar(second);
    expect(await servedWithoutToken(second)).toBe(true);
    expect(await servedWithoutToken(first)).toBe(false);
    expect(await stack.fileRow(first)).toMatchObject({ public: false, publishedBy: null });

    // A file the owner published before it became the avatar stays public after it stops being one.
    expect((await stack.callFile("PATCH", `/files/${own}`, { token: user.accessToken, body: { public: true } })).status).toBe(200);
    await setAvatar(own);
    expect(await servedWithoutToken(second)).toBe(false);
    await setAvatar(null);
    expect(await servedWithoutToken(own)).toBe(true);
    expect(await stack.fileRow(own)).toMatchObject({ public: true, publishedBy: "owner" });

    // And so does an avatar its owner published themselves while it was the avatar.
    await setAvatar(first);
    expect((await stack.callFile("PATCH", `/files/${first}`, { token: user.accessToken, body: { public: true } })).status).toBe(200);
    await setAvatar(second);
    expect(await servedWithoutToken(first)).toBe(true);
    expect(await stack.fileRow(second)).toMatchObject({ public: true, publishedBy: "client:user-service" });
  });

  test("avatar changes racing each other leave the current avatar public and the other private", async () => {
    const user = await stack.register();
    const files = [await stack.upload(user.accessToken, "png"), await stack.upload(user.accessToken, "png")];
    for (let round = 0; round < 5; round += 1) {
      const answers = await Promise.all(
        [...files, ...files].map((avatarFileId) => stack.call("PATCH", "/users/me", { token: user.accessToken, body: { avatarFileId } })),
      );
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
      const avatar = (await stack.call("GET", "/users/me", { token: user.accessToken })).json.avatar.fileId;
      for (const fileId of files) expect((await stack.fileRow(fileId))?.public).toBe(fileId === avatar);
    }
  });

  test("someone else's image, a file that is not an image, an SVG and an unknown id are refused with 422", async () => {
    const user = await stack.register();
    const other = await stack.register();
    const others = await stack.upload(other.accessToken, "png");
    const pdf = await stack.upload(user.accessToken, "pdf");
    const svg = await stack.upload(user.accessToken, "svg");
    const own = await stack.upload(user.accessToken, "png");
    expect((await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { avatarFileId: own } })).status).toBe(200);
    for (const fileId of [others, pdf, svg, crypto.randomUUID()]) {
      const response = await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { avatarFileId: fileId, displayName: "Not saved" } });
      expect(response.status).toBe(422);
      expect(response.json.error.details).toEqual([{ path: "avatarFileId", message: expect.any(String) }]);
    }
    for (const fileId of [others, pdf, svg]) expect((await stack.fileRow(fileId))?.public).toBe(false);
    const me = await stack.call("GET", "/users/me", { token: user.accessToken });
    expect(me.json.avatar.fileId).toBe(own);
    expect(me.json.displayName).toBeNull();
    expect((await stack.call("PATCH", "/users/me", { token: user.accessToken, body: { avatarFileId: null } })).json.avatar).toBeNull();
  });
});
