import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { files } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Json } from "../src/providers/types";
import { startTestAi, type TestAi } from "./harness";

/** Image jobs: each generated image is fetched (or decoded) and stored in the real file service as the user's file. */
let t: TestAi;
/** The provider's image host: /image.png is a PNG, /large is over AI_IMAGE_MAX_BYTES, /missing is 404. */
let images: ReturnType<typeof Bun.serve>;
let imagesUrl: string;
beforeAll(async () => {
  images = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/image.png") return new Response(png, { headers: { "content-type": "image/png" } });
      if (path === "/large") return new Response(new Uint8Array(64 * 1024));
      return new Response("not found", { status: 404 });
    },
  });
  imagesUrl = `http://127.0.0.1:${images.port}`;
  t = await startTestAi({ fileServices: true, env: { AI_IMAGE_ALLOWED_HOSTS: "127.0.0.1", AI_IMAGE_MAX_BYTES: "32768" } });
});
afterAll(async () => {
  await t.close();
  await images.stop(true);
});

/** A 1×1 PNG: bytes the file service sniffs as an image. */
const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

const imageJob = { kind: "image", request: { model: "img-test", prompt: "a lodge in the snow", size: "256x256" } };
const answering = (data: Json[]) => async () => ({ created: 1_700_000_000, data });
const filesOf = (userId: string) => t.db.select().from(files).where(eq(files.ownerId, userId));

describe("generated images become the user's files", () => {
  test("a provider URL and a b64_json image are stored; the result lists { fileId, url } instead", async () => {
    const user = await t.issuer.user();
    t.runCall = answering([{ url: `${imagesUrl}/image.png`, revised_prompt: "a wooden lodge in the snow" }, { b64_json: png.toString("base64") }]);
    const { id } = (await t.submitJob(user.token, imageJob)).json;
    const job = await t.jobEnded(user.token, id);
    expect(job.status).toBe("succeeded");
    const stored = await filesOf(user.id);
    expect(stored).toHaveLength(2);
    expect(stored.map((file) => [file.contentType, file.size])).toEqual([
      ["image/png", png.length],
      ["image/png", png.length],
    ]);
    const byId = new Map(stored.map((file) => [file.id, file]));
    expect(job.result.created).toBe(1_700_000_000);
    expect(job.result.data).toEqual([
      { fileId: expect.any(String), url: expect.stringContaining("/content"), revised_prompt: "a wooden lodge in the snow" },
      { fileId: expect.any(String), url: expect.stringContaining("/content") },
    ]);
    for (const item of job.result.data) expect(byId.has(item.fileId)).toBe(true);
    expect(JSON.stringify(job.result)).not.toContain(imagesUrl);
    expect(job.result.data[0].url).toContain(`/files/${job.result.data[0].fileId}/content`);
    expect((await t.jobCompleted(id)).data).toMatchObject({ userId: user.id, kind: "image", status: "succeeded" });
  });

  test("an image URL to a private address, one too large, or one that is gone fails the job, and nothing is stored", async () => {
    const user = await t.issuer.user();
    const cases: [string, string][] = [
      ["http://10.0.0.1/image.png", "refused (address)"],
      ["file:///etc/passwd", "refused (scheme)"],
      [`${imagesUrl}/large`, "larger than"],
      [`${imagesUrl}/missing`, "could not be fetched"],
    ];
    for (const [url, message] of cases) {
      t.runCall = answering([{ url }]);
      const job = await t.jobEnded(user.token, (await t.submitJob(user.token, imageJob)).json.id);
      expect({ url, status: job.status, attempts: job.attempts }).toEqual({ url, status: "failed", attempts: 1 });
      expect(job.error.message).toContain(message);
      expect(JSON.stringify(job.error)).not.toContain("10.0.0.1");
    }
    expect(await filesOf(user.id)).toEqual([]);
  });

  test("a job that fails after storing some images is final, and its error lists the files stored", async () => {
    const user = await t.issuer.user();
    t.runCall = answering([{ b64_json: png.toString("base64") }, { url: "http://10.0.0.1/second.png" }]);
    const job = await t.jobEnded(user.token, (await t.submitJob(user.token, imageJob)).json.id);
    expect(job).toMatchObject({ status: "failed", attempts: 1, result: null, error: { code: "UPSTREAM_ERROR" } });
    const stored = await filesOf(user.id);
    expect(stored).toHaveLength(1);
    expect(job.error.details.storedImages).toEqual([{ fileId: stored[0]?.id, url: `/files/${stored[0]?.id}/content` }]);
  });

  test("what is not a raster image, or an answer without images, fails the job", async () => {
    const user = await t.issuer.user();
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
    for (const bytes of ["#!/bin/sh\necho not an image\n", svg]) {
      t.runCall = answering([{ b64_json: Buffer.from(bytes).toString("base64") }]);
      const notImage = await t.jobEnded(user.token, (await t.submitJob(user.token, imageJob)).json.id);
      expect(notImage).toMatchObject({ status: "failed", attempts: 1, error: { code: "UPSTREAM_ERROR" } });
      expect(notImage.error.message).toContain("not an image");
    }
    t.runCall = answering([{ neither: "url nor b64_json" }]);
    const garbage = await t.jobEnded(user.token, (await t.submitJob(user.token, imageJob)).json.id);
    expect(garbage.status).toBe("failed");
    expect(garbage.error.message).toContain("without an image");
    t.runCall = async () => ({ created: 1_700_000_000, images: [] });
    expect((await t.jobEnded(user.token, (await t.submitJob(user.token, imageJob)).json.id)).error.message).toContain("no images");
    expect(await filesOf(user.id)).toEqual([]);
  });

  test("images over the user's file quota fail the job with the file service's 413", async () => {
    const user = await t.issuer.user();
    // The harness's file quota is 10 000 bytes: a valid PNG padded past it (the file service checks the quota on the whole file).
    const padded = Buffer.concat([png, Buffer.alloc(12_000)]);
    t.runCall = answering([{ b64_json: padded.toString("base64") }]);
    const job = await t.jobEnded(user.token, (await t.submitJob(user.token, imageJob)).json.id);
    expect(job).toMatchObject({ status: "failed", error: { code: "PAYLOAD_TOO_LARGE" } });
    expect(await filesOf(user.id)).toEqual([]);
  });
});

describe("without AI_CLIENT_SECRET", () => {
  let plain: TestAi;
  beforeAll(async () => {
    plain = await startTestAi();
  });
  afterAll(() => plain.close());

  test("the provider's URLs are kept as they are, and nothing is fetched or stored", async () => {
    const user = await plain.issuer.user();
    const answer = { created: 1_700_000_000, data: [{ url: "https://images.provider.example/abc.png?sig=secret" }] };
    plain.runCall = async () => answer;
    const job = await plain.jobEnded(user.token, (await plain.submitJob(user.token, imageJob)).json.id);
    expect(job).toMatchObject({ status: "succeeded", result: answer });
    expect(await plain.db.select().from(files).where(eq(files.ownerId, user.id))).toEqual([]);
  });
});
