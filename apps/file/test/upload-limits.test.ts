import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { uploads } from "@lodge/db/schema";
import { expectErrorShape } from "@lodge/kit/testing";
import { count, eq } from "drizzle-orm";
import { startTestFiles, type TestFiles } from "./harness";

/** Issue 7, "tus creation is not rate-limited": creations per user, open uploads per user, and the quota they reserve; and a termination that outlasts its wait. */
const QUOTA = 100_000;
const CREATIONS = 6;
const OPEN = 3;
let t: TestFiles;
beforeAll(async () => {
  t = await startTestFiles({
    FILE_QUOTA_BYTES: String(QUOTA),
    FILE_UPLOAD_CREATE_MAX: String(CREATIONS),
    // A window far longer than the test: no count can expire while it runs.
    FILE_UPLOAD_CREATE_WINDOW_SECONDS: "3600",
    FILE_MAX_OPEN_UPLOADS: String(OPEN),
    FILE_UPLOAD_LOCK_WAIT_MS: "100",
  });
});
afterAll(() => t.close());

type Account = { id: string; token: string };
const tus = (account: Account, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${account.token}`, "tus-resumable": "1.0.0", ...extra });
async function create(account: Account, length = 1) {
  const response = await fetch(`${t.url}/files/uploads`, { method: "POST", headers: tus(account, { "upload-length": String(length) }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}
const terminate = (account: Account, location: string) => fetch(`${t.url}${location}`, { method: "DELETE", headers: tus(account) });
const openUploads = async (ownerId: string) => (await t.db.select({ n: count() }).from(uploads).where(eq(uploads.ownerId, ownerId)))[0]?.n;

describe("tus creation limits", () => {
  test("1-byte uploads created and terminated in a loop: 429 with Retry-After past the per-user limit; other users are unaffected", async () => {
    const [mallory, erin] = await Promise.all([t.user(), t.user()]);
    for (let index = 0; index < CREATIONS; index++) {
      const created = await create(mallory);
      expect(created.status).toBe(201);
      expect((await terminate(mallory, created.headers.get("location") as string)).status).toBe(204);
    }
    const refused = await create(mallory);
    expect(refused.status).toBe(429);
    expectErrorShape(refused, "creation past the limit");
    expect(refused.json.error.code).toBe("RATE_LIMITED");
    const wait = Number(refused.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(3600);
    expect(await openUploads(mallory.id)).toBe(0);
    expect((await create(erin)).status).toBe(201);
  });

  test("a user holds at most FILE_MAX_OPEN_UPLOADS unfinished uploads; terminating one makes room", async () => {
    const frank = await t.user();
    const locations: string[] = [];
    for (let index = 0; index < OPEN; index++) {
      const created = await create(frank);
      expect(created.status).toBe(201);
      locations.push(created.headers.get("location") as string);
    }
    const refused = await create(frank);
    expect(refused.status).toBe(429);
    expectErrorShape(refused, "one open upload too many");
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect(await openUploads(frank.id)).toBe(OPEN);
    expect((await terminate(frank, locations[0] as string)).status).toBe(204);
    expect((await create(frank)).status).toBe(201);
  });

  test("open uploads reserve their declared length of the quota, against uploads and POST /files alike", async () => {
    const grace = await t.user();
    const created = await create(grace, 60_000);
    expect(created.status).toBe(201);
    const second = await create(grace, 60_000);
    expect(second.status).toBe(413);
    expect(second.json.error.code).toBe("PAYLOAD_TOO_LARGE");
    const file = () => t.upload(grace.token, "x".repeat(50_000), { type: "text/plain" });
    expect((await file()).status).toBe(413);
    expect((await terminate(grace, created.headers.get("location") as string)).status).toBe(204);
    expect((await file()).status).toBe(201);
  });
});

describe("termination and a PATCH that outlasts the wait", () => {
  test("DELETE is 409 while the PATCH still streams; the PATCH's part is recorded and counted; a DELETE after it removes everything", async () => {
    const henry = await t.user();
    const before = await t.storage.list("");
    const location = (await create(henry, 60_000)).headers.get("location") as string;
    const patch = await t.slowPatch(henry.token, location, Buffer.alloc(50_000, 0x68), 25_000);
    const early = await terminate(henry, location);
    expect(early.status).toBe(409);
    patch.rest();
    expect(await patch.status).toBe(204);
    const head = await fetch(`${t.url}${location}`, { method: "HEAD", headers: tus(henry) });
    expect(head.headers.get("upload-offset")).toBe("50000");
    // The upload still reserves its 60 kB: 50 kB more do not fit.
    expect((await create(henry, 50_000)).status).toBe(413);
    expect((await terminate(henry, location)).status).toBe(204);
    expect(await t.storage.list("")).toEqual(before);
  });
});
