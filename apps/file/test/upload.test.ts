import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, readStream } from "@lodge/kit/testing";
import { startTestFiles, type TestFiles } from "./harness";
import { images, sha256 } from "./images";

/** POST /files: what is stored, and everything that must be refused with nothing left behind. */
let t: TestFiles;
let alice: { id: string; token: string };
const MAX = 200_000;
beforeAll(async () => {
  t = await startTestFiles({
    FILE_MAX_SIZE_BYTES: String(MAX),
    FILE_QUOTA_BYTES: String(2 * MAX + 100_000),
    FILE_MAX_IMAGE_PIXELS: "1000000",
    FILE_ALLOWED_TYPES: "image/png,image/jpeg,image/gif,image/webp,text/plain,text/csv,text/html,image/svg+xml,application/pdf",
  });
  alice = await t.user();
});
afterAll(() => t.close());

function expectError(response: { status: number; json?: { error?: Record<string, unknown> } }, status: number, code?: string) {
  expect(response.status).toBe(status);
  expect(typeof response.json?.error?.message).toBe("string");
  expect(typeof response.json?.error?.requestId).toBe("string");
  if (code) expect(response.json?.error?.code).toBe(code);
}

/** Sends a body as a stream of small chunks, with no Content-Length: the server can only count. */
function chunked(total: number, fill = 0x61, chunk = 16 * 1024) {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const size = Math.min(chunk, total - sent);
      sent += size;
      controller.enqueue(new Uint8Array(size).fill(fill));
    },
  });
}

async function post(body: RequestInit["body"], headers: Record<string, string>, query = "") {
  const response = await fetch(`${t.url}/files${query}`, { method: "POST", body, headers: { authorization: `Bearer ${alice.token}`, ...headers } });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) : undefined };
}

/** Runs `send`, expects a 4xx with `code`, and checks that no row, object or temporary file was left. */
async function refused(send: () => Promise<{ status: number; json?: { error?: Record<string, unknown> } }>, status: number, code?: string) {
  const before = await t.snapshot();
  const response = await send();
  expectError(response, status, code);
  expect(await t.snapshot()).toEqual(before);
  return response;
}

describe("stored uploads", () => {
  test("a raw PNG: 201 with id, name, size, sniffed type, SHA-256, dimensions and URL; the bytes are stored as sent", async () => {
    const png = await images.png(64, 48);
    const response = await t.upload(alice.token, png, { name: "red.png", type: "image/png" });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({
      name: "red.png",
      size: png.length,
      contentType: "image/png",
      sha256: sha256(png),
      width: 64,
      height: 48,
      public: false,
    });
    expect(response.json.url).toBe(`/files/${response.json.id}/content`);
    expect(Date.parse(response.json.createdAt)).toBeGreaterThan(0);
    // Stored under the owner's prefix (erasure clears it whole), named by the id, never by the file name.
    const [key] = (await t.storage.list(`users/${alice.id}/files/`)).filter((stored) => stored.endsWith(response.json.id));
    expect(key).toBe(`users/${alice.id}/files/${response.json.id}`);
    expect(sha256(await t.storage.bytes(key as string))).toBe(sha256(png));
    const event = await eventually(async () =>
      (await readStream(t.redis, t.prefix, "file.uploaded")).find((published) => published.data.fileId === response.json.id),
    );
    expect(event.data).toEqual({
      fileId: response.json.id,
      ownerId: alice.id,
      name: "red.png",
      contentType: "image/png",
      size: png.length,
      sha256: sha256(png),
    });
  });

  test("multipart/form-data: the file part streams through; its filename is the name", async () => {
    const jpeg = await images.jpeg();
    const response = await t.upload(alice.token, jpeg, { name: "green.jpg", type: "image/jpeg", multipart: true });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({ name: "green.jpg", contentType: "image/jpeg", size: jpeg.length, sha256: sha256(jpeg) });
  });

  test("multipart with other fields around the file, a quoted boundary and a UTF-8 filename*", async () => {
    const boundary = "----lodge boundary";
    const text = "hello from a multipart body\n";
    const body = [
      `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nnot the file\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt\r\nContent-Type: text/plain\r\n\r\n${text}\r\n`,
      `--${boundary}--\r\n`,
    ].join("");
    const response = await post(body, { "content-type": `multipart/form-data; boundary="${boundary}"` });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({ name: "résumé.txt", contentType: "text/plain", size: text.length, sha256: sha256(text) });
  });

  test("text is recognised from the bytes; a declared text subtype (CSV) is kept; Unicode names are NFC-normalised", async () => {
    const csv = "a,b\n1,2\n";
    const response = await t.upload(alice.token, csv, { name: "Cafe\u0301 📄.csv", type: "text/csv" });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({ contentType: "text/csv", name: "Café 📄.csv" });
    const plain = await t.upload(alice.token, "just words", {});
    expect(plain.json).toMatchObject({ contentType: "text/plain", name: "file.txt" });
  });

  test("a chunked body with no Content-Length under the limit is stored whole", async () => {
    const response = await post(chunked(MAX - 10), { "content-type": "text/plain" }, "?name=chunked.txt");
    expect(response.status).toBe(201);
    expect(response.json.size).toBe(MAX - 10);
  });
});

describe("refused uploads leave nothing behind", () => {
  test("no token is a 401; a service client's token is a 403", async () => {
    await refused(
      () =>
        fetch(`${t.url}/files`, { method: "POST", body: "x" }).then(async (r) => ({
          status: r.status,
          json: (await r.json()) as { error?: Record<string, unknown> },
        })),
      401,
      "UNAUTHORIZED",
    );
    const client = await t.client("users-service");
    const response = await fetch(`${t.url}/files`, { method: "POST", body: "x", headers: { authorization: `Bearer ${client}` } });
    expect(response.status).toBe(403);
  });

  test("empty bodies: raw, chunked and an empty multipart file", async () => {
    await refused(() => post("", { "content-type": "text/plain" }), 422, "VALIDATION_FAILED");
    await refused(() => post(chunked(0), { "content-type": "text/plain" }), 422, "VALIDATION_FAILED");
    await refused(() => t.upload(alice.token, new Uint8Array(0), { multipart: true, name: "empty.txt" }), 422, "VALIDATION_FAILED");
  });

  test("over the size limit: 413 from Content-Length before reading, and while streaming a chunked body", async () => {
    await refused(() => post(new Uint8Array(MAX + 1).fill(0x61), { "content-type": "text/plain" }), 413, "PAYLOAD_TOO_LARGE");
    await refused(() => post(chunked(MAX * 3), { "content-type": "text/plain" }), 413, "PAYLOAD_TOO_LARGE");
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(MAX + 1000).fill(0x62)]), "big.txt");
    await refused(() => post(form, {}), 413, "PAYLOAD_TOO_LARGE");
  });

  test("truncated and malformed multipart bodies are 400s", async () => {
    const boundary = "xyz";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.txt"\r\nContent-Type: text/plain\r\n\r\n`;
    // The file part never reaches its closing boundary.
    await refused(() => post(`${head}${"some text ".repeat(1000)}`, { "content-type": `multipart/form-data; boundary=${boundary}` }), 400, "VALIDATION_FAILED");
    // Cut inside the part headers.
    await refused(
      () => post(`--${boundary}\r\nContent-Disposition: form-da`, { "content-type": `multipart/form-data; boundary=${boundary}` }),
      400,
      "VALIDATION_FAILED",
    );
    // No boundary parameter, or no file part at all.
    await refused(() => post(`${head}x\r\n--${boundary}--`, { "content-type": "multipart/form-data" }), 400, "VALIDATION_FAILED");
    await refused(
      () =>
        post(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--${boundary}--\r\n`, {
          "content-type": `multipart/form-data; boundary=${boundary}`,
        }),
      422,
      "VALIDATION_FAILED",
    );
    await refused(() => post("x", { "content-type": "multipart/mixed; boundary=a" }), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  test("lying content types: bytes that contradict the declared type, or a type off the allow-list", async () => {
    const png = await images.png();
    await refused(() => t.upload(alice.token, png, { type: "image/jpeg" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    await refused(() => t.upload(alice.token, png, { type: "image/gif", multipart: true, name: "a.gif" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    await refused(() => t.upload(alice.token, "<html><body>hi</body></html>", { type: "image/png", name: "x.png" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    // A Windows executable and a zip: recognised, but not allowed here.
    const exe = new Uint8Array(512);
    exe.set([0x4d, 0x5a, 0x90, 0x00]);
    exe.set(new TextEncoder().encode("PE\0\0"), 0x80);
    new DataView(exe.buffer).setUint32(0x3c, 0x80, true);
    await refused(() => t.upload(alice.token, exe, { type: "application/octet-stream", name: "setup.exe" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...new Uint8Array(100)]);
    await refused(() => t.upload(alice.token, zip, {}), 415, "UNSUPPORTED_MEDIA_TYPE");
    // Bytes that are nothing recognisable.
    await refused(() => t.upload(alice.token, new Uint8Array([0, 1, 2, 3, 255, 254, 0, 7, 9]), {}), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  test("polyglots: markup inside an image, data after its end, a GIF header over script", async () => {
    const png = await images.png();
    await refused(
      () => t.upload(alice.token, Buffer.concat([png, Buffer.from("<html><script>alert(1)</script></html>")]), { type: "image/png" }),
      422,
      "VALIDATION_FAILED",
    );
    const jpeg = await images.jpeg();
    // A JPEG comment segment (FFFE) carrying script, right after SOI.
    const comment = Buffer.from("<script>alert(document.cookie)</script>");
    const segment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment]);
    await refused(
      () => t.upload(alice.token, Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]), { type: "image/jpeg" }),
      422,
      "VALIDATION_FAILED",
    );
    // GIFAR-style: a GIF signature followed by JavaScript.
    await refused(() => t.upload(alice.token, "GIF89a/*\x00\x00*/=1;alert(1);//", { type: "image/gif" }), 422, "VALIDATION_FAILED");
    // A truncated image that cannot be decoded.
    await refused(() => t.upload(alice.token, png.subarray(0, 60), { type: "image/png" }), 422, "VALIDATION_FAILED");
  });

  test("an image over the pixel limit (a tiny decompression bomb) is a 422", async () => {
    const bomb = await images.hugePng(2000, 2000);
    expect(bomb.length).toBeLessThan(MAX);
    const response = await refused(() => t.upload(alice.token, bomb, { type: "image/png", name: "bomb.png" }), 422, "VALIDATION_FAILED");
    expect(response.json?.error?.message).toContain("2000x2000");
  });

  test("path-like, control-character and invisible-character names are 422s, before any byte is stored", async () => {
    const hostile = [
      "../../etc/passwd",
      "..\\..\\windows\\win.ini",
      "/etc/shadow",
      "..",
      "a\u0000b.txt",
      "line\nbreak.txt",
      "evil\u202Etxt.exe",
      "zero\u200Bwidth.txt",
      "x".repeat(300),
    ];
    for (const name of hostile) await refused(() => t.upload(alice.token, "hello", { name }), 422, "VALIDATION_FAILED");
    await refused(() => t.upload(alice.token, "hello", { name: "../../etc/passwd", multipart: true }), 422, "VALIDATION_FAILED");
  });

  test("the per-user quota: 413 once the user's files would pass it, for this user only", async () => {
    const bob = await t.user();
    const chunk = new Uint8Array(MAX - 1000).fill(0x63);
    expect((await post(chunk, { "content-type": "text/plain", authorization: `Bearer ${bob.token}` })).status).toBe(201);
    expect((await post(chunk, { "content-type": "text/plain", authorization: `Bearer ${bob.token}` })).status).toBe(201);
    await refused(() => post(chunk, { "content-type": "text/plain", authorization: `Bearer ${bob.token}` }), 413, "PAYLOAD_TOO_LARGE");
    await refused(() => post(chunked(MAX - 1000), { "content-type": "text/plain", authorization: `Bearer ${bob.token}` }), 413, "PAYLOAD_TOO_LARGE");
    const carol = await t.user();
    expect((await post(chunk, { "content-type": "text/plain", authorization: `Bearer ${carol.token}` })).status).toBe(201);
  });
});
