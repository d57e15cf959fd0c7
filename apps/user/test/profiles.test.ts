import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, readStream } from "@lodge/kit/testing";
import { startTestStack, type TestStack } from "./harness";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

/** The `user.profile_updated` events about `userId`, oldest first. */
async function profileEvents(userId: string) {
  return (await readStream(stack.redis, stack.prefix, "user.profile_updated")).filter((event) => event.data.userId === userId);
}

/** The profile fields' own rules are in profile-fields.test.ts, on the user service alone. */
describe("profiles", () => {
  test("user.registered creates the profile with the email and the name given at registration", async () => {
    const user = await stack.register({ name: "Ada Lovelace" });
    await stack.profileArrived(user.id);
    const me = await stack.call("GET", "/users/me", { token: user.accessToken });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ id: user.id, email: user.email, displayName: "Ada Lovelace", bio: null, avatar: null, locale: "en", timezone: "UTC" });
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
