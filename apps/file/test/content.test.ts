import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { variants } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { count, eq } from "drizzle-orm";
import sharp from "sharp";
import { startTestFiles, type TestFiles } from "./harness";
import { images, sha256 } from "./images";

/** GET /files/:id/content: headers, ranges, access (tokens, public flag, signed URLs) and image variants. */
let t: TestFiles;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let photo: { id: string; sha256: string; size: number };
let photoBytes: Buffer;
beforeAll(async () => {
  t = await startTestFiles({
    FILE_ALLOWED_TYPES: "image/png,image/jpeg,text/plain,text/html,image/svg+xml,application/pdf",
    FILE_MAX_VARIANT_DIMENSION: "1024",
  });
  [alice, bob] = await Promise.all([t.user(), t.user()]);
  photoBytes = await images.rotatedJpeg();
  photo = (await t.upload(alice.token, photoBytes, { name: "holiday.jpg", type: "image/jpeg" })).json;
});
afterAll(() => t.close());

const get = (path: string, options: { token?: string; headers?: Record<string, string> } = {}) =>
  fetch(`${t.url}${path}`, { headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers } });

describe("the original", () => {
  test("bytes with ETag, Cache-Control, inline Content-Disposition, nosniff and a sandboxing CSP", async () => {
    const response = await get(`/files/${photo.id}/content`, { token: alice.token });
    expect(response.status).toBe(200);
    expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(photo.sha256);
    expect(response.headers.get("content-type")).toBe("image/jpeg");
    expect(response.headers.get("content-length")).toBe(String(photo.size));
    expect(response.headers.get("etag")).toBe(`"${photo.sha256}"`);
    expect(response.headers.get("cache-control")).toBe("private, no-cache");
    expect(response.headers.get("content-disposition")).toBe(`inline; filename="holiday.jpg"; filename*=UTF-8''holiday.jpg`);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toContain("sandbox");
    expect(response.headers.get("accept-ranges")).toBe("bytes");
  });

  test("If-None-Match gives 304; one Range gives 206; an unsatisfiable one gives 416 with Content-Range", async () => {
    const etag = `"${photo.sha256}"`;
    expect((await get(`/files/${photo.id}/content`, { token: alice.token, headers: { "if-none-match": etag } })).status).toBe(304);
    const part = await get(`/files/${photo.id}/content`, { token: alice.token, headers: { range: "bytes=2-11" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 2-11/${photo.size}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(new Uint8Array(photoBytes.subarray(2, 12)));
    const suffix = await get(`/files/${photo.id}/content`, { token: alice.token, headers: { range: "bytes=-5" } });
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(new Uint8Array(photoBytes.subarray(photoBytes.length - 5)));
    const outside = await get(`/files/${photo.id}/content`, { token: alice.token, headers: { range: `bytes=${photo.size + 10}-` } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get("content-range")).toBe(`bytes */${photo.size}`);
    expect(((await outside.json()) as { error: { code: string } }).error.code).toBe("VALIDATION_FAILED");
    // Not a byte range: the whole content.
    expect((await get(`/files/${photo.id}/content`, { token: alice.token, headers: { range: "lines=1-2" } })).status).toBe(200);
  });

  test("HTML and SVG are served as attachments that cannot run script on our origin", async () => {
    for (const [body, type] of [
      ['<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"],
      ["<!doctype html><html><script>alert(1)</script></html>", "text/html"],
    ] as const) {
      const uploaded = await t.upload(alice.token, body, { name: "page" });
      expect(uploaded.json.contentType).toBe(type);
      const response = await get(`/files/${uploaded.json.id}/content`, { token: alice.token });
      expect(response.headers.get("content-disposition")).toStartWith("attachment;");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'unsafe-inline'; sandbox");
    }
    const forced = await get(`/files/${photo.id}/content?download=1`, { token: alice.token });
    expect(forced.headers.get("content-disposition")).toStartWith("attachment;");
  });

  test("a non-ASCII name gets an ASCII fallback and the exact UTF-8 name", async () => {
    const uploaded = await t.upload(alice.token, "bonjour", { name: 'Ré"sumé;.txt' });
    const response = await get(`/files/${uploaded.json.id}/content`, { token: alice.token });
    expect(response.headers.get("content-disposition")).toBe(`inline; filename="R__sum__.txt"; filename*=UTF-8''R%C3%A9%22sum%C3%A9%3B.txt`);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
  });
});

describe("access", () => {
  test("private by default: anonymous 401; another user 404 everywhere; admins and files:read clients may read", async () => {
    expect((await get(`/files/${photo.id}/content`)).status).toBe(401);
    for (const [method, path, body] of [
      ["GET", `/files/${photo.id}`],
      ["GET", `/files/${photo.id}/content`],
      ["DELETE", `/files/${photo.id}`],
      ["PATCH", `/files/${photo.id}`, { public: true }],
      ["POST", `/files/${photo.id}/signed-url`, { expiresIn: 60 }],
    ] as const) {
      const response = await t.call(method, path, { token: bob.token, body });
      expect(response.status).toBe(404);
      expect(response.json.error.code).toBe("NOT_FOUND");
    }
    const admin = await t.admin();
    expect((await t.call("GET", `/files/${photo.id}`, { token: admin.token })).status).toBe(200);
    expect((await get(`/files/${photo.id}/content`, { token: admin.token })).status).toBe(200);
    const reader = await t.client("reader");
    expect((await t.call("GET", `/files/${photo.id}`, { token: reader })).json.id).toBe(photo.id);
    expect((await t.call("PATCH", `/files/${photo.id}`, { token: reader, body: { public: true } })).status).toBe(404);
    expect((await t.call("GET", `/files/${photo.id}`, { token: await t.client("other") })).status).toBe(404);
    expect((await get(`/files/${photo.id}/content`, { token: "not.a.token" })).status).toBe(401);
    expect((await t.call("GET", "/files/not-a-uuid", { token: alice.token })).status).toBe(422);
    expect((await t.call("GET", `/files/${crypto.randomUUID()}`, { token: alice.token })).status).toBe(404);
  });

  test("signed URLs work without a token, for variants too, until they expire; tampering is a 403", async () => {
    const signed = await t.call("POST", `/files/${photo.id}/signed-url`, { token: alice.token, body: { expiresIn: 120 } });
    expect(signed.status).toBe(200);
    const url = signed.json.url as string;
    expect(url).toStartWith(`/files/${photo.id}/content?expires=`);
    const response = await get(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toMatch(/^private, max-age=\d+$/);
    expect((await get(`${url}&w=8&format=png`)).headers.get("content-type")).toBe("image/png");

    const other = (await t.upload(alice.token, "other file", {})).json.id;
    const sig = new URL(url, t.url).searchParams.get("sig") as string;
    const expires = Number(new URL(url, t.url).searchParams.get("expires"));
    const tampered = [
      url.replace(photo.id, other),
      `/files/${photo.id}/content?expires=${expires + 1000}&sig=${sig}`,
      `/files/${photo.id}/content?expires=${expires}&sig=${sig.slice(0, -2)}AA`,
      `/files/${photo.id}/content?expires=${expires}&sig=`,
      `/files/${photo.id}/content?expires=${expires}`,
      `/files/${photo.id}/content?sig=${sig}`,
    ];
    for (const path of tampered) {
      const denied = await get(path);
      expect(denied.status).toBe(403);
      expect(((await denied.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    }
    t.advance(121_000);
    const expired = await get(url);
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toContain("expired");
    t.advance(-121_000);
    expect((await t.call("POST", `/files/${photo.id}/signed-url`, { token: alice.token, body: { expiresIn: 10 ** 9 } })).status).toBe(422);
  });

  test("the public flag: set by the owner or a files:write client, then served to anyone with a public Cache-Control", async () => {
    const uploaded = (await t.upload(alice.token, await images.png(), { name: "avatar.png" })).json;
    expect((await get(`/files/${uploaded.id}/content`)).status).toBe(401);
    const service = await t.client("users-service");
    const made = await t.call("PATCH", `/files/${uploaded.id}`, { token: service, body: { public: true } });
    expect(made.status).toBe(200);
    expect(made.json.public).toBe(true);
    const response = await get(`/files/${uploaded.id}/content?w=16&h=16`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=3600");
    expect((await t.call("PATCH", `/files/${uploaded.id}`, { token: alice.token, body: { public: false } })).json.public).toBe(false);
    expect((await get(`/files/${uploaded.id}/content`)).status).toBe(401);
    expect((await t.call("PATCH", `/files/${uploaded.id}`, { token: alice.token, body: { public: "yes" } })).status).toBe(422);
    expect((await t.call("PATCH", `/files/${uploaded.id}`, { token: alice.token, body: { public: true, owner: bob.id } })).status).toBe(422);
  });
});

describe("image variants", () => {
  test("orientation is applied and EXIF stripped: a 40x20 photo tagged 'rotate 90°' comes out 20x40 with no metadata", async () => {
    expect(photo).toMatchObject({ width: 20, height: 40 });
    const response = await get(`/files/${photo.id}/content?format=png`, { token: alice.token });
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    const metadata = await sharp(bytes).metadata();
    expect(metadata).toMatchObject({ format: "png", width: 20, height: 40 });
    expect(metadata.exif).toBeUndefined();
    expect(bytes.includes("secret-exif-marker")).toBe(false);
    expect(photoBytes.includes("secret-exif-marker")).toBe(true);
    expect(response.headers.get("content-disposition")).toContain('filename="holiday.png"');
  });

  test("each variant is rendered once and stored; later requests are served from storage even if the original is gone", async () => {
    const jpeg = await images.jpeg(300, 200);
    const file = (await t.upload(alice.token, jpeg, { name: "wide.jpg" })).json;
    const path = `/files/${file.id}/content?w=50&h=50&fit=cover&format=webp&q=70`;
    const first = await get(path, { token: alice.token });
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("image/webp");
    const rendered = Buffer.from(await first.arrayBuffer());
    expect(await sharp(rendered).metadata()).toMatchObject({ format: "webp", width: 50, height: 50 });
    const rows = async () => (await t.db.select({ n: count() }).from(variants).where(eq(variants.fileId, file.id)))[0]?.n;
    // Stored behind the answer: the row appears once the object is written.
    await eventually(async () => (await rows()) === 1);
    // Equivalent parameters (defaults spelled out or left out) are the same variant.
    expect((await get(`/files/${file.id}/content?h=50&w=50&format=webp&q=70`, { token: alice.token })).headers.get("etag")).toBe(first.headers.get("etag"));
    expect(await rows()).toBe(1);
    expect((await get(path, { token: alice.token, headers: { "if-none-match": first.headers.get("etag") as string } })).status).toBe(304);

    // Without the original and without this instance's memory, the stored rendering still answers.
    await t.storage.delete(await t.fileKeyOf(file.id));
    t.deps.caches.files.delete(file.id);
    const again = await get(path, { token: alice.token });
    expect(again.status).toBe(200);
    expect(Buffer.from(await again.arrayBuffer())).toEqual(rendered);
    expect(await rows()).toBe(1);
  });

  test("formats, fits and sizes: webp, avif, jpeg and png; never enlarged", async () => {
    const file = (await t.upload(alice.token, await images.png(120, 80), { name: "p.png" })).json;
    for (const format of ["webp", "avif", "jpeg", "png"] as const) {
      const response = await get(`/files/${file.id}/content?w=60&format=${format}`, { token: alice.token });
      const metadata = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      expect(metadata.format).toBe(format === "avif" ? "heif" : format);
      expect([metadata.width, metadata.height]).toEqual([60, 40]);
    }
    const contain = await get(`/files/${file.id}/content?w=100&h=100&fit=contain&format=png`, { token: alice.token });
    expect(await sharp(Buffer.from(await contain.arrayBuffer())).metadata()).toMatchObject({ width: 100, height: 100 });
    const larger = await get(`/files/${file.id}/content?w=1000&format=png`, { token: alice.token });
    expect((await sharp(Buffer.from(await larger.arrayBuffer())).metadata()).width).toBe(120);
  });

  test("a variant held in memory answers exactly as the full route does (public, signed, 304), and bad signatures still get 403", async () => {
    const file = (await t.upload(alice.token, await images.png(90, 60), { name: "hot.png" })).json;
    const signed = (await t.call("POST", `/files/${file.id}/signed-url`, { token: alice.token, body: { expiresIn: 600 } })).json.url as string;
    const path = `${signed}&w=30&format=webp`;
    const comparable = (response: Response) => {
      const headers = Object.fromEntries(response.headers.entries());
      delete headers["x-request-id"];
      delete headers.date;
      return headers;
    };
    // The clock stands still so both answers count down to the URL's expiry from the same second.
    const [rendered, hot] = await t.frozen(async () => [await get(path), await get(path)]);
    expect(hot.status).toBe(200);
    expect(comparable(hot)).toEqual(comparable(rendered));
    expect(Buffer.from(await hot.arrayBuffer())).toEqual(Buffer.from(await rendered.arrayBuffer()));
    expect(hot.headers.get("x-request-id")).toBeTruthy();
    expect((await get(path, { headers: { "if-none-match": rendered.headers.get("etag") as string } })).status).toBe(304);
    const tampered = await get(path.replace(/sig=[^&]+/, "sig=AAAA"));
    expect(tampered.status).toBe(403);
    expect(((await tampered.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    expect((await get(`/files/${file.id}/content?w=30&format=webp`)).status).toBe(401);
    expect((await get(path.replace("w=30", "w=99999"))).status).toBe(422);
  });

  test("a variant held in memory follows its file: made private, it needs a token again and is no longer cached publicly", async () => {
    const file = (await t.upload(alice.token, await images.png(90, 60), { name: "hot.png" })).json;
    expect((await t.call("PATCH", `/files/${file.id}`, { token: alice.token, body: { public: true } })).status).toBe(200);
    const path = `/files/${file.id}/content?w=20&format=png`;
    expect((await get(path)).status).toBe(200);
    const held = await get(path);
    expect(held.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(held.headers.get("content-disposition")).toBe(`inline; filename="hot.png"; filename*=UTF-8''hot.png`);
    expect((await t.call("PATCH", `/files/${file.id}`, { token: alice.token, body: { public: false } })).status).toBe(200);
    expect((await get(path)).status).toBe(401);
    const owner = await get(path, { token: alice.token });
    expect(owner.status).toBe(200);
    expect(owner.headers.get("cache-control")).toBe("private, no-cache");
    // Its rendering is stored just after the first answer: let it land before the next test counts rows.
    await eventually(async () => (await t.db.select({ n: count() }).from(variants).where(eq(variants.fileId, file.id)))[0]?.n === 1);
  });

  test("bounded parameters: huge or zero sizes, unknown formats and fits, bad quality, variants of non-images are 422s that store nothing", async () => {
    const text = (await t.upload(alice.token, "plain text", {})).json.id;
    const before = await t.snapshot();
    for (const query of ["w=100000", "h=0", "w=-5", "w=abc", "format=gif", "format=tiff", "format=svg", "fit=stretch", "q=0", "q=101", "w=1025"]) {
      const response = await t.call("GET", `/files/${photo.id}/content?${query}`, { token: alice.token });
      expect(response.status).toBe(422);
      expect(response.json.error.code).toBe("VALIDATION_FAILED");
    }
    expect((await t.call("GET", `/files/${text}/content?w=10`, { token: alice.token })).status).toBe(422);
    expect(await t.snapshot()).toEqual(before);
  });
});
