import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { files } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import { startTestFiles, type TestFiles } from "./harness";

/** POST /files by a service client for a user (`files:write` + X-Lodge-User): the file is the user's, under the user's quota. */
let t: TestFiles;
const QUOTA = 1000;
beforeAll(async () => {
  t = await startTestFiles({ FILE_QUOTA_BYTES: String(QUOTA), FILE_ALLOWED_TYPES: "text/plain,image/png" });
});
afterAll(() => t.close());

async function ownerOf(fileId: string) {
  const [row] = await t.db.select({ ownerId: files.ownerId }).from(files).where(eq(files.id, fileId));
  return row?.ownerId;
}

async function storeFor(token: string, userId: string | undefined, bytes: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, "content-type": "text/plain" };
  if (userId !== undefined) headers["x-lodge-user"] = userId;
  const response = await fetch(`${t.url}/files?name=answer.txt`, { method: "POST", headers, body: bytes });
  // biome-ignore lint/suspicious/noExplicitAny: responses are inspected field by field
  return { status: response.status, json: (await response.json()) as any };
}

describe("a file stored by a service for a user", () => {
  test("is the user's: listed and readable by them, not by another user", async () => {
    const bob = await t.user();
    const carol = await t.user();
    const stored = await storeFor(await t.client("users-service"), bob.id, "generated for bob");
    expect(stored.status).toBe(201);
    expect(await ownerOf(stored.json.id)).toBe(bob.id);
    const listed = await t.call("GET", "/files", { token: bob.token });
    expect(listed.json.files.map((file: { id: string }) => file.id)).toEqual([stored.json.id]);
    expect((await t.call("GET", `/files/${stored.json.id}`, { token: bob.token })).status).toBe(200);
    expect((await t.call("GET", `/files/${stored.json.id}`, { token: carol.token })).status).toBe(404);
  });

  test("counts against the user's quota: over it, 413 and nothing stored", async () => {
    const dave = await t.user();
    const client = await t.client("users-service");
    expect((await storeFor(client, dave.id, "x".repeat(QUOTA - 100))).status).toBe(201);
    const before = await t.snapshot();
    const over = await storeFor(client, dave.id, "y".repeat(200));
    expect(over.status).toBe(413);
    expect(over.json.error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await t.snapshot()).toEqual(before);
    // Another user's quota is their own.
    expect((await storeFor(client, (await t.user()).id, "y".repeat(200))).status).toBe(201);
  });

  test("a client without files:write, or naming no user, is 403 and stores nothing", async () => {
    const before = await t.snapshot();
    const userId = (await t.user()).id;
    for (const [token, named] of [
      [await t.client("reader"), userId],
      [await t.client("other"), userId],
      [await t.client("users-service"), undefined],
    ] as const) {
      const refused = await storeFor(token, named, "not stored");
      expect(refused.status).toBe(403);
      expect(refused.json.error.code).toBe("FORBIDDEN");
    }
    expect(await t.snapshot()).toEqual(before);
  });

  test("a user's token naming another user is 403; naming themselves stores as usual", async () => {
    const erin = await t.user();
    const refused = await storeFor(erin.token, (await t.user()).id, "not stored");
    expect(refused.status).toBe(403);
    const admin = await t.admin();
    expect((await storeFor(admin.token, erin.id, "not stored")).status).toBe(403);
    const own = await storeFor(erin.token, erin.id, "mine");
    expect(own.status).toBe(201);
    expect(await ownerOf(own.json.id)).toBe(erin.id);
  });

  test("an X-Lodge-User that is not a user id is 422", async () => {
    const refused = await storeFor(await t.client("users-service"), "../../etc", "not stored");
    expect(refused.status).toBe(422);
    expect(refused.json.error.code).toBe("VALIDATION_FAILED");
  });
});
