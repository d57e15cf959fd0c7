import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { files, uploads } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import { createStorage } from "../src/helpers/storage/index";
import { userPrefix } from "../src/helpers/storage/keys";
import { eraseUser } from "../src/services/erase-user";
import { sweepStorage } from "../src/services/sweep-storage";
import { startTestFiles, type TestFiles } from "./harness";
import { startS3rver } from "./s3rver";

/**
 * Issue 7, finding 1: tus parts orphaned by a termination racing a PATCH, and what removes them:
 * the upload lock, the lost-race cleanup, erasure by the user's prefix, and the storage sweeper.
 */
const QUOTA = 100_000;
let t: TestFiles;
beforeAll(async () => {
  t = await startTestFiles({ FILE_QUOTA_BYTES: String(QUOTA), FILE_STORAGE_SWEEP_GRACE_SECONDS: "3600" });
});
afterAll(() => t.close());

type Account = { id: string; token: string };
const tus = (account: Account, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${account.token}`, "tus-resumable": "1.0.0", ...extra });
const ctx = () => ({ deps: t.deps, logger: t.deps.logger });

async function create(account: Account, length: number) {
  return fetch(`${t.url}/files/uploads`, { method: "POST", headers: tus(account, { "upload-length": String(length) }) });
}

describe("termination racing a PATCH", () => {
  test("the attack: DELETE while a 50 kB PATCH streams, five rounds; no byte remains and the quota holds", async () => {
    const mallory = await t.user();
    const before = await t.storage.list("");
    const body = Buffer.alloc(50_000, 0x61);
    for (let round = 0; round < 5; round++) {
      const created = await create(mallory, 60_000);
      expect(created.status).toBe(201);
      const location = created.headers.get("location") as string;
      const patch = await t.slowPatch(mallory.token, location, body, 25_000);
      const deletion = fetch(`${t.url}${location}`, { method: "DELETE", headers: tus(mallory) });
      // As in the report: the DELETE is sent while the body still streams (before the fix it was answered at once).
      await Promise.race([deletion, Bun.sleep(400)]);
      patch.rest();
      expect([204, 404, 409]).toContain(await patch.status);
      expect((await deletion).status).toBe(204);
      expect((await fetch(`${t.url}${location}`, { method: "HEAD", headers: tus(mallory) })).status).toBe(404);
    }
    expect(await t.storage.list("")).toEqual(before);
    expect(await t.db.select().from(uploads).where(eq(uploads.ownerId, mallory.id))).toEqual([]);
    // What is reserved is what is held: one more upload of 60 kB fits, a second does not.
    expect((await create(mallory, 60_000)).status).toBe(201);
    expect((await create(mallory, 60_000)).status).toBe(413);
  });

  test("a PATCH whose upload was erased meanwhile removes the part it wrote (nothing is left for the sweeper)", async () => {
    const bob = await t.user();
    const before = await t.storage.list("");
    const location = (await create(bob, 60_000)).headers.get("location") as string;
    const patch = await t.slowPatch(bob.token, location, Buffer.alloc(50_000, 0x62), 25_000);
    await eraseUser({ ctx: ctx(), input: { userId: bob.id } });
    patch.rest();
    expect(await patch.status).toBe(409);
    expect(await t.storage.list("")).toEqual(before);
  });
});

describe("erasure by the user's prefix", () => {
  test("objects no row lists under the user's prefix are erased too; other users' are kept", async () => {
    const [alice, carol] = await Promise.all([t.user(), t.user()]);
    const alices = (await t.upload(alice.token, "alice's notes", {})).json;
    const carols = (await t.upload(carol.token, "carol's notes", {})).json;
    const stray = [`${userPrefix(alice.id)}uploads/${crypto.randomUUID()}/000000000000000-0badf00d`, `${userPrefix(alice.id)}files/${crypto.randomUUID()}`];
    for (const key of stray) await t.storage.write(key, new Uint8Array(1000));
    const carolsKey = await t.fileKeyOf(carols.id);
    await t.fileKeyOf(alices.id);

    await eraseUser({ ctx: ctx(), input: { userId: alice.id } });
    expect(await t.storage.list(userPrefix(alice.id))).toEqual([]);
    expect(await t.db.select().from(files).where(eq(files.ownerId, alice.id))).toEqual([]);
    expect(await t.storage.list(userPrefix(carol.id))).toEqual([carolsKey]);
    expect((await t.call("GET", `/files/${carols.id}/content`, { token: carol.token })).text).toBe("carol's notes");
  });
});

/** Orphans of every kind, in both layouts, next to objects their rows record; the sweep may remove only the first. */
async function seed(target: TestFiles) {
  const dave = await target.user();
  const kept = (await target.upload(dave.token, "a file dave keeps", {})).json;
  const upload = await fetch(`${target.url}/files/uploads`, { method: "POST", headers: tus(dave, { "upload-length": "100" }) });
  const uploadPath = upload.headers.get("location") as string;
  const patched = await fetch(`${target.url}${uploadPath}`, {
    method: "PATCH",
    headers: tus(dave, { "upload-offset": "0", "content-type": "application/offset+octet-stream" }),
    body: "recorded part",
  });
  expect(patched.status).toBe(204);
  const uploadId = uploadPath.split("/").pop() as string;
  const recorded = await target.storage.list(await target.uploadKeyOf(uploadId));
  expect(recorded.length).toBe(1);
  const orphans = [
    `${await target.uploadKeyOf(uploadId)}000000000000013-deadbeef`, // a part of a live upload its row does not record
    `${userPrefix(dave.id)}uploads/${crypto.randomUUID()}/000000000000000-deadbeef`, // a part of an upload that is gone
    `uploads/${crypto.randomUUID()}/000000000000000-deadbeef`, // the same, in the layout before per-user keys
    `files/${crypto.randomUUID()}`,
    `${userPrefix(dave.id)}files/${crypto.randomUUID()}`,
    `variants/${crypto.randomUUID()}/0123456789abcdef`,
  ];
  for (const key of orphans) await target.storage.write(key, new Uint8Array(500));
  // A key this service did not lay out is not its to judge.
  await target.storage.write("elsewhere/readme.txt", new Uint8Array(5));
  return { orphans, kept: [await target.fileKeyOf(kept.id), ...recorded, "elsewhere/readme.txt"] };
}

describe("the storage sweeper", () => {
  test("local: orphans stay within the grace period, and go after it; recorded objects stay", async () => {
    const { orphans, kept } = await seed(t);
    const all = await t.storage.list("");
    expect((await sweepStorage({ ctx: ctx() })).removed).toBe(0);
    expect(await t.storage.list("")).toEqual(all);
    t.advance(3601_000);
    expect((await sweepStorage({ ctx: ctx() })).removed).toBe(orphans.length);
    const after = await t.storage.list("");
    expect(after).toEqual(all.filter((key) => !orphans.includes(key)));
    for (const key of kept) expect(after).toContain(key);
  });
});

describe("the storage sweeper on S3, as the scheduled job", () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let onS3: TestFiles;
  beforeAll(async () => {
    s3 = await startS3rver();
    const storage = await createStorage({ driver: "s3", ...s3.options });
    onS3 = await startTestFiles({ FILE_STORAGE_SWEEP_EVERY_SECONDS: "1", FILE_STORAGE_SWEEP_GRACE_SECONDS: "600" }, { storage, jobs: true });
  });
  afterAll(async () => {
    await onS3.close();
    await s3.stop();
  });

  test("the job removes orphans once they are older than the grace period, and only them", async () => {
    const { orphans, kept } = await seed(onS3);
    const all = await onS3.storage.list("");
    expect((await sweepStorage({ ctx: { deps: onS3.deps, logger: onS3.deps.logger } })).removed).toBe(0);
    onS3.advance(601_000);
    await eventually(async () => (await onS3.storage.list("")).length === all.length - orphans.length);
    const after = await onS3.storage.list("");
    expect(after).toEqual(all.filter((key) => !orphans.includes(key)));
    for (const key of kept) expect(after).toContain(key);
  });
});
