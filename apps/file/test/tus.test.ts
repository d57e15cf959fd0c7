import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { files, uploads } from "@lodge/db/schema";
import { createTcpProxy, eventually, readStream } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import * as tus from "tus-js-client";
import { startTestFiles, type TestFiles } from "./harness";
import { sha256 } from "./images";

/**
 * Resumable uploads (tus 1.0) with tus-js-client as the real client, through a TCP proxy the test
 * can cut to interrupt an upload; then the protocol's edges with raw requests.
 */
let t: TestFiles;
let alice: { id: string; token: string };
beforeAll(async () => {
  t = await startTestFiles(
    {
      FILE_MAX_SIZE_BYTES: String(2 * 1024 * 1024),
      FILE_QUOTA_BYTES: String(8 * 1024 * 1024),
      FILE_UPLOAD_EXPIRY_HOURS: "1",
      FILE_UPLOAD_CLEANUP_EVERY_SECONDS: "1",
    },
    { jobs: true },
  );
  alice = await t.user();
});
afterAll(() => t.close());

/** Text bytes (an allowed type) that differ everywhere, so a misplaced chunk would change the hash. */
function textBytes(size: number) {
  const bytes = new Uint8Array(size);
  for (let index = 0; index < size; index++) bytes[index] = 97 + ((index * 7 + Math.floor(index / 26)) % 26);
  return Buffer.from(bytes);
}

type Outcome = { ok: true; fileId: string } | { ok: false; error: Error };

function startUpload(data: Buffer, options: tus.UploadOptions): { upload: tus.Upload; done: Promise<Outcome> } {
  let upload!: tus.Upload;
  const done = new Promise<Outcome>((resolve) => {
    upload = new tus.Upload(data, {
      headers: { authorization: `Bearer ${alice.token}` },
      metadata: { filename: "notes.txt", filetype: "text/plain" },
      ...options,
      onSuccess: (payload) => resolve({ ok: true, fileId: payload.lastResponse.getHeader("Lodge-File-Id") as string }),
      onError: (error) => resolve({ ok: false, error }),
    });
  });
  upload.start();
  return { upload, done };
}

const tusHeaders = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${alice.token}`, "tus-resumable": "1.0.0", ...extra });
const raw = (method: string, path: string, headers: Record<string, string>, body?: RequestInit["body"]) => fetch(`${t.url}${path}`, { method, headers, body });

async function create(length: number, metadata = `filename ${btoa("raw.txt")},filetype ${btoa("text/plain")}`) {
  const response = await raw("POST", "/files/uploads", tusHeaders({ "upload-length": String(length), "upload-metadata": metadata }));
  expect(response.status).toBe(201);
  return response.headers.get("location") as string;
}

describe("tus-js-client", () => {
  test("a whole upload becomes a file exactly like POST /files (sniffed, hashed, file.uploaded)", async () => {
    const data = textBytes(300_000);
    const { done } = startUpload(data, { endpoint: `${t.url}/files/uploads`, chunkSize: 100_000 });
    const outcome = await done;
    if (!outcome.ok) throw outcome.error;
    const file = await t.call("GET", `/files/${outcome.fileId}`, { token: alice.token });
    expect(file.json).toMatchObject({ name: "notes.txt", size: data.length, contentType: "text/plain", sha256: sha256(data) });
    const content = await fetch(`${t.url}/files/${outcome.fileId}/content`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(sha256(new Uint8Array(await content.arrayBuffer()))).toBe(sha256(data));
    await eventually(async () => (await readStream(t.redis, t.prefix, "file.uploaded")).some((event) => event.data.fileId === outcome.fileId));
    // The parts are gone; the upload record says where the file is until it expires.
    const [upload] = await t.db.select().from(uploads).where(eq(uploads.ownerId, alice.id));
    expect((upload?.metadata as { fileId?: string } | undefined)?.fileId).toBe(outcome.fileId);
    expect(await t.storage.list(upload?.storageKey as string)).toEqual([]);
  });

  test("resume after an interrupted connection: the second run continues from the server's offset", async () => {
    const proxy = createTcpProxy({ hostname: "127.0.0.1", port: Number(new URL(t.url).port) });
    try {
      const data = textBytes(640 * 1024);
      const chunkSize = 64 * 1024;
      let cutAt = 0;
      const first = startUpload(data, {
        endpoint: `http://127.0.0.1:${proxy.port}/files/uploads`,
        chunkSize,
        retryDelays: [],
        onChunkComplete: (_size, accepted) => {
          if (accepted >= 3 * chunkSize && cutAt === 0) {
            cutAt = accepted;
            proxy.cut();
          }
        },
      });
      const interrupted = await first.done;
      expect(interrupted.ok).toBe(false);
      const url = first.upload.url as string;
      const head = await fetch(url.replace(`:${proxy.port}`, `:${new URL(t.url).port}`), { method: "HEAD", headers: tusHeaders() });
      const serverOffset = Number(head.headers.get("upload-offset"));
      expect(serverOffset).toBeGreaterThanOrEqual(cutAt);
      expect(serverOffset).toBeLessThan(data.length);

      proxy.restore();
      const patchOffsets: number[] = [];
      const second = startUpload(data, {
        uploadUrl: url,
        chunkSize,
        retryDelays: [0, 50, 100, 200, 400, 800, 1600],
        onBeforeRequest: (request) => {
          if (request.getMethod() === "PATCH") patchOffsets.push(Number(request.getHeader("Upload-Offset")));
        },
      });
      const outcome = await second.done;
      if (!outcome.ok) throw outcome.error;
      expect(patchOffsets[0]).toBe(serverOffset);
      const file = await t.call("GET", `/files/${outcome.fileId}`, { token: alice.token });
      expect(file.json).toMatchObject({ size: data.length, sha256: sha256(data) });
    } finally {
      proxy.stop();
    }
  });

  test("a connection that dies in the middle of a PATCH body keeps the bytes that arrived; the client resumes from there", async () => {
    const data = textBytes(256 * 1024);
    const location = await create(data.length, `filename ${btoa("cut.txt")},filetype ${btoa("text/plain")}`);
    const half = 100_000;
    // A raw connection: announce the whole body, send part of it, and hang up.
    const { port } = new URL(t.url);
    const request = Buffer.concat([
      Buffer.from(
        `PATCH ${location} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${alice.token}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
          `Content-Type: application/offset+octet-stream\r\nContent-Length: ${data.length}\r\n\r\n`,
      ),
      data.subarray(0, half),
    ]);
    let pending = request;
    const socket = await new Promise<Bun.Socket>((resolve) => {
      const send = (connection: Bun.Socket) => {
        pending = pending.subarray(connection.write(pending));
        if (pending.length === 0) resolve(connection);
      };
      void Bun.connect({ hostname: "127.0.0.1", port: Number(port), socket: { open: send, drain: send, data() {} } });
    });
    // Hang up once the server has taken in what was sent (a part being written, half the bytes long).
    await eventually(async () => {
      const temporary = await readdir(join(t.directory, ".tmp"));
      const sizes = await Promise.all(temporary.map(async (name) => (await stat(join(t.directory, ".tmp", name))).size));
      return sizes.includes(half);
    });
    socket.end();
    // The server notices the broken connection on its own time: poll until it has recorded what it got.
    const kept = await eventually(async () => {
      const head = await raw("HEAD", location, tusHeaders());
      return Number(head.headers.get("upload-offset")) === half;
    });
    expect(kept).toBe(true);
    const patchOffsets: number[] = [];
    const resumed = startUpload(data, {
      uploadUrl: `${t.url}${location}`,
      retryDelays: [0, 50, 100, 200, 400, 800, 1600],
      onBeforeRequest: (request) => {
        if (request.getMethod() === "PATCH") patchOffsets.push(Number(request.getHeader("Upload-Offset")));
      },
    });
    const outcome = await resumed.done;
    if (!outcome.ok) throw outcome.error;
    expect(patchOffsets).toEqual([half]);
    expect((await t.call("GET", `/files/${outcome.fileId}`, { token: alice.token })).json).toMatchObject({ name: "cut.txt", sha256: sha256(data) });
  });
});

describe("tus-js-client termination", () => {
  test("abort(true) in the middle of an upload terminates it: no row and no byte remain", async () => {
    const before = await t.storage.list("");
    const data = textBytes(512 * 1024);
    let aborted: Promise<void> | undefined;
    const { upload, done } = startUpload(data, {
      endpoint: `${t.url}/files/uploads`,
      chunkSize: 64 * 1024,
      retryDelays: [0, 50, 100, 200, 400],
      onChunkComplete: (_size, accepted) => {
        if (accepted >= 2 * 64 * 1024 && !aborted) aborted = upload.abort(true);
      },
    });
    await eventually(() => aborted !== undefined);
    await aborted;
    void done;
    const id = (upload.url as string).split("/").pop() as string;
    expect((await raw("HEAD", `/files/uploads/${id}`, tusHeaders())).status).toBe(404);
    expect(await t.db.select().from(uploads).where(eq(uploads.id, id))).toEqual([]);
    expect(await t.storage.list("")).toEqual(before);
  });
});

describe("the protocol's edges", () => {
  test("OPTIONS advertises version, extensions and the size limit; every answer carries Tus-Resumable", async () => {
    const response = await raw("OPTIONS", "/files/uploads", {});
    expect(response.status).toBe(204);
    expect(response.headers.get("tus-version")).toBe("1.0.0");
    expect(response.headers.get("tus-extension")).toBe("creation,termination,expiration");
    expect(response.headers.get("tus-max-size")).toBe(String(2 * 1024 * 1024));
    expect(response.headers.get("tus-resumable")).toBe("1.0.0");
  });

  test("creation: a missing or wrong Tus-Resumable is a 412; bad lengths and metadata are 4xx; nothing is created", async () => {
    const before = await t.snapshot();
    const missing = await raw("POST", "/files/uploads", { authorization: `Bearer ${alice.token}`, "upload-length": "10" });
    expect(missing.status).toBe(412);
    expect(missing.headers.get("tus-version")).toBe("1.0.0");
    expect((await raw("POST", "/files/uploads", tusHeaders({ "tus-resumable": "0.2.2", "upload-length": "10" }))).status).toBe(412);
    expect((await raw("POST", "/files/uploads", tusHeaders())).status).toBe(422);
    expect((await raw("POST", "/files/uploads", tusHeaders({ "upload-length": "-1" }))).status).toBe(422);
    expect((await raw("POST", "/files/uploads", tusHeaders({ "upload-length": "0" }))).status).toBe(422);
    expect((await raw("POST", "/files/uploads", tusHeaders({ "upload-length": String(3 * 1024 * 1024) }))).status).toBe(413);
    expect((await raw("POST", "/files/uploads", tusHeaders({ "upload-length": "10", "upload-metadata": "filename not*base64!" }))).status).toBe(400);
    expect((await raw("POST", "/files/uploads", tusHeaders({ "upload-length": "10", "upload-metadata": `filename ${btoa("../../etc/passwd")}` }))).status).toBe(
      422,
    );
    expect((await raw("POST", "/files/uploads", { "tus-resumable": "1.0.0", "upload-length": "10" })).status).toBe(401);
    expect(await t.snapshot()).toEqual(before);
  });

  test("HEAD reports offset, length, metadata and expiry, never cached; another user's upload is a 404", async () => {
    const location = await create(20);
    const head = await raw("HEAD", location, tusHeaders());
    expect(head.status).toBe(200);
    expect(head.headers.get("upload-offset")).toBe("0");
    expect(head.headers.get("upload-length")).toBe("20");
    expect(head.headers.get("cache-control")).toBe("no-store");
    expect(head.headers.get("upload-metadata")).toBe(`filename ${btoa("raw.txt")},filetype ${btoa("text/plain")}`);
    expect(Date.parse(head.headers.get("upload-expires") as string)).toBeGreaterThan(Date.now());
    const bob = await t.user();
    expect((await raw("HEAD", location, { ...tusHeaders(), authorization: `Bearer ${bob.token}` })).status).toBe(404);
    expect(
      (
        await raw(
          "PATCH",
          location,
          { ...tusHeaders({ "upload-offset": "0", "content-type": "application/offset+octet-stream" }), authorization: `Bearer ${bob.token}` },
          "x",
        )
      ).status,
    ).toBe(404);
  });

  test("PATCH: wrong content type 415, wrong offset 409, past the length 413, each leaving the offset as it was", async () => {
    const location = await create(20);
    const patch = (offset: number, body: string, type = "application/offset+octet-stream") =>
      raw("PATCH", location, tusHeaders({ "upload-offset": String(offset), "content-type": type }), body);
    expect((await patch(0, "hello", "application/octet-stream")).status).toBe(415);
    const ok = await patch(0, "hello ");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("upload-offset")).toBe("6");
    expect((await patch(0, "again ")).status).toBe(409);
    expect((await patch(3, "again ")).status).toBe(409);
    expect((await patch(6, "far too many bytes for this upload")).status).toBe(413);
    expect((await raw("HEAD", location, tusHeaders())).headers.get("upload-offset")).toBe("6");
    const last = await patch(6, "world, tus!!!!");
    expect(last.status).toBe(204);
    const fileId = last.headers.get("lodge-file-id") as string;
    expect((await t.call("GET", `/files/${fileId}/content`, { token: alice.token })).text).toBe("hello world, tus!!!!");
  });

  test("termination removes the upload and its stored bytes", async () => {
    const location = await create(100);
    await raw("PATCH", location, tusHeaders({ "upload-offset": "0", "content-type": "application/offset+octet-stream" }), "some bytes");
    const id = location.split("/").pop() as string;
    const parts = await t.uploadKeyOf(id);
    expect((await t.storage.list(parts)).length).toBe(1);
    expect((await raw("DELETE", location, tusHeaders())).status).toBe(204);
    expect((await raw("HEAD", location, tusHeaders())).status).toBe(404);
    expect(await t.storage.list(parts)).toEqual([]);
    expect(await t.db.select().from(uploads).where(eq(uploads.id, id))).toEqual([]);
  });

  test("a completed upload whose bytes are refused (a lying type) is removed with everything it stored", async () => {
    const before = await t.snapshot();
    const location = await create(11, `filename ${btoa("fake.png")},filetype ${btoa("image/png")}`);
    const response = await raw("PATCH", location, tusHeaders({ "upload-offset": "0", "content-type": "application/offset+octet-stream" }), "not a png!!");
    expect(response.status).toBe(415);
    expect((await raw("HEAD", location, tusHeaders())).status).toBe(404);
    expect(await t.snapshot()).toEqual(before);
  });

  test("abandoned uploads expire: the cleanup job removes their rows and bytes", async () => {
    const location = await create(50);
    await raw("PATCH", location, tusHeaders({ "upload-offset": "0", "content-type": "application/offset+octet-stream" }), "partial");
    const id = location.split("/").pop() as string;
    const parts = await t.uploadKeyOf(id);
    expect((await t.storage.list(parts)).length).toBe(1);
    t.advance(2 * 3600_000);
    await eventually(async () => (await t.db.select().from(uploads).where(eq(uploads.id, id))).length === 0);
    expect(await t.storage.list(parts)).toEqual([]);
    // Files are not touched by the cleanup.
    expect((await t.db.select().from(files).where(eq(files.ownerId, alice.id))).length).toBeGreaterThan(0);
  });
});
