import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { files, uploads, variants } from "@lodge/db/schema";
import { createEventBus } from "@lodge/events";
import { createLogger } from "@lodge/kit";
import { eventually, readStream } from "@lodge/kit/testing";
import { count, eq } from "drizzle-orm";
import { startTestFiles, type TestFiles } from "./harness";
import { images } from "./images";

/** Listing, deleting, the thumbnail job, the GDPR export and account deletion. */
let t: TestFiles;
beforeAll(async () => {
  t = await startTestFiles({}, { jobs: true });
});
afterAll(() => t.close());

const rowsOf = async (ownerId: string) => ({
  files: (await t.db.select({ n: count() }).from(files).where(eq(files.ownerId, ownerId)))[0]?.n,
  uploads: (await t.db.select({ n: count() }).from(uploads).where(eq(uploads.ownerId, ownerId)))[0]?.n,
});

describe("listing and deleting", () => {
  test("GET /files pages through the caller's own files, newest first", async () => {
    const [alice, bob] = await Promise.all([t.user(), t.user()]);
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) ids.push((await t.upload(alice.token, `file number ${index}`, { name: `n${index}.txt` })).json.id);
    await t.upload(bob.token, "bob's", {});
    const first = await t.call("GET", "/files?limit=2", { token: alice.token });
    expect(first.json.files.map((file: { id: string }) => file.id)).toEqual([ids[4], ids[3]]);
    const second = await t.call("GET", `/files?limit=2&cursor=${first.json.nextCursor}`, { token: alice.token });
    expect(second.json.files.map((file: { id: string }) => file.id)).toEqual([ids[2], ids[1]]);
    const last = await t.call("GET", `/files?limit=2&cursor=${second.json.nextCursor}`, { token: alice.token });
    expect(last.json.files.map((file: { id: string }) => file.id)).toEqual([ids[0]]);
    expect(last.json.nextCursor).toBeNull();
    expect((await t.call("GET", "/files?cursor=nope", { token: alice.token })).status).toBe(422);
    expect((await t.call("GET", "/files?limit=1000", { token: alice.token })).status).toBe(422);
    expect((await t.call("GET", "/files")).status).toBe(401);
  });

  test("DELETE removes the bytes, every variant and the rows, and publishes file.deleted", async () => {
    const alice = await t.user();
    const file = (await t.upload(alice.token, await images.png(80, 80), { name: "gone.png" })).json;
    await t.call("GET", `/files/${file.id}/content?w=20&format=png`, { token: alice.token });
    const stored = async () => (await t.storage.list("")).filter((key) => key.includes(file.id));
    // The original, the requested variant and the two standard thumbnails.
    await eventually(async () => (await stored()).length === 4);
    const response = await t.call("DELETE", `/files/${file.id}`, { token: alice.token });
    expect(response.status).toBe(204);
    expect(await stored()).toEqual([]);
    expect((await t.db.select({ n: count() }).from(variants).where(eq(variants.fileId, file.id)))[0]?.n).toBe(0);
    expect((await t.call("GET", `/files/${file.id}`, { token: alice.token })).status).toBe(404);
    expect((await t.call("GET", `/files/${file.id}/content`, { token: alice.token })).status).toBe(404);
    expect((await t.call("DELETE", `/files/${file.id}`, { token: alice.token })).status).toBe(404);
    await eventually(async () => (await readStream(t.redis, t.prefix, "file.deleted")).some((event) => event.data.fileId === file.id));
  });
});

describe("processing", () => {
  test("an uploaded image gets its standard thumbnails from the job, then file.processed", async () => {
    const alice = await t.user();
    const file = (await t.upload(alice.token, await images.noisyJpeg(800, 600), { name: "photo.jpg" })).json;
    const event = await eventually(async () => (await readStream(t.redis, t.prefix, "file.processed")).find((published) => published.data.fileId === file.id));
    expect(event.data).toEqual({
      fileId: file.id,
      ownerId: alice.id,
      variants: ["w=128,h=128,fit=cover,format=webp,q=80", "w=512,h=512,fit=inside,format=webp,q=80"],
    });
    const rows = await t.db.select().from(variants).where(eq(variants.fileId, file.id));
    expect(rows.map((row) => row.key).sort()).toEqual(event.data.variants as string[]);
    // A non-image is processed too, with no variants.
    const text = (await t.upload(alice.token, "words", {})).json;
    const textEvent = await eventually(async () =>
      (await readStream(t.redis, t.prefix, "file.processed")).find((published) => published.data.fileId === text.id),
    );
    expect(textEvent.data.variants).toEqual([]);
  });
});

describe("the user service's side", () => {
  test("GET /files/export/{userId}: the user's file metadata, for clients with files:export only", async () => {
    const alice = await t.user();
    const file = (await t.upload(alice.token, "exported", { name: "mine.txt" })).json;
    const service = await t.client("users-service");
    const exported = await t.call("GET", `/files/export/${alice.id}`, { token: service });
    expect(exported.status).toBe(200);
    expect(exported.json).toMatchObject({ userId: alice.id, files: [{ id: file.id, name: "mine.txt", size: 8 }], uploads: [] });
    expect((await t.call("GET", `/files/export/${alice.id}`, { token: await t.client("reader") })).status).toBe(403);
    expect((await t.call("GET", `/files/export/${alice.id}`, { token: alice.token })).status).toBe(403);
    expect((await t.call("GET", "/files/export/not-a-uuid", { token: service })).status).toBe(422);
  });

  test("user.deletion_requested erases every file, variant and upload of the user from Postgres and storage, then user.data_erased", async () => {
    const [alice, bob] = await Promise.all([t.user(), t.user()]);
    const image = (await t.upload(alice.token, await images.png(64, 64), { name: "a.png" })).json;
    const text = (await t.upload(alice.token, "some text", {})).json;
    await t.call("GET", `/files/${image.id}/content?w=10&format=png`, { token: alice.token });
    const tus = await fetch(`${t.url}/files/uploads`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}`, "tus-resumable": "1.0.0", "upload-length": "100" },
    });
    const location = tus.headers.get("location") as string;
    await fetch(`${t.url}${location}`, {
      method: "PATCH",
      body: "half an upload",
      headers: { authorization: `Bearer ${alice.token}`, "tus-resumable": "1.0.0", "upload-offset": "0", "content-type": "application/offset+octet-stream" },
    });
    const bobs = (await t.upload(bob.token, "bob keeps this", {})).json;
    // Wait for the thumbnails and the requested variant to be stored.
    await eventually(async () => (await readStream(t.redis, t.prefix, "file.processed")).some((event) => event.data.fileId === image.id));
    await eventually(async () => (await t.db.select({ n: count() }).from(variants).where(eq(variants.fileId, image.id)))[0]?.n === 3);
    expect(await rowsOf(alice.id)).toEqual({ files: 2, uploads: 1 });
    const objectsBefore = await t.storage.list("");
    const bobsKey = await t.fileKeyOf(bobs.id);

    const bus = createEventBus({ redis: t.redis, logger: createLogger({ service: "test", level: "silent" }), prefix: t.prefix });
    await bus.publish("user.deletion_requested", { userId: alice.id, requestedAt: new Date().toISOString() });
    await eventually(async () =>
      (await readStream(t.redis, t.prefix, "user.data_erased")).some((event) => event.data.userId === alice.id && event.data.service === "file"),
    );
    expect(await rowsOf(alice.id)).toEqual({ files: 0, uploads: 0 });
    const uploadId = location.split("/").pop() as string;
    const alicesObjects = objectsBefore.filter((key) => [image.id, text.id, uploadId].some((id) => key.includes(id)));
    // The image, its variant and two thumbnails, the text, the upload's part.
    expect(alicesObjects.length).toBe(6);
    expect(await t.storage.list("")).toEqual(objectsBefore.filter((key) => !alicesObjects.includes(key)));
    expect(objectsBefore).toContain(bobsKey);
    expect((await t.call("GET", `/files/${bobs.id}`, { token: bob.token })).status).toBe(200);
    await bus.close();
  });
});
