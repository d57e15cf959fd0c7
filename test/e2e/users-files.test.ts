/**
 * The user and file services through the production Caddyfile, as a frontend uses them: a profile
 * and preferences, an avatar uploaded and shown at two sizes, a large resumable upload interrupted
 * and resumed, a signed link, the export, and account deletion with nothing left behind (the
 * notification service's inbox and the AI and analytics services' parts included). Every request goes through
 * Caddy; the user service reaches auth, file, notification, ai and analytics through Caddy's internal listener.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { notifications, recipients } from "@lodge/db/schema";
import { eventually, readStream } from "@lodge/kit/testing";
import sharp from "sharp";
import * as tus from "tus-js-client";
import { call, type Reply, type Stack, startStack } from "./stack";

const MiB = 1024 * 1024;
const password = "a perfectly fine password";
const apiCsp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

let stack: Stack;
beforeAll(async () => {
  // The services as compose runs them (notification and ai too: they take part in the export and
  // the deletion); the file metadata cache off so a deletion shows at once.
  stack = await startStack({ services: { user: {}, file: { FILE_METADATA_CACHE_MS: "0" }, notification: {}, ai: {}, analytics: {}, bot: {} } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const edge = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(stack.url, method, path, options);
const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

/** Bytes the file service sniffs as text/plain, different everywhere (a misplaced chunk would change the hash). */
function textBytes(size: number) {
  const bytes = new Uint8Array(size);
  for (let index = 0; index < size; index++) bytes[index] = 97 + ((index * 7 + Math.floor(index / 26)) % 26);
  return Buffer.from(bytes);
}

/** Every regular file under the storage directory (parts, temporaries, variants included). */
async function storedFiles() {
  const entries = await readdir(stack.fileStorageDir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => `${entry.parentPath}/${entry.name}`);
}

async function register() {
  const email = `e2e-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const reply = await edge("POST", "/auth/register", { body: { email, password } });
  expect(reply.status).toBe(201);
  return { email, id: reply.json.user.id as string, token: reply.json.accessToken as string };
}

async function uploadMultipart(token: string, name: string, bytes: Uint8Array, type: string) {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type }), name);
  const response = await fetch(`${stack.url}/files`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: response.status, json: (await response.json()) as { id: string; size: number; contentType: string; sha256: string; url: string } };
}

/** The headers the file service sets on content are the same through Caddy as on its own port. */
async function expectContentHeadersKept(throughCaddy: Response, url: string, headers: Record<string, string> = {}) {
  const service = stack.file as NonNullable<Stack["file"]>;
  const direct = await fetch(url.replace(stack.url, service.url), { headers });
  await direct.arrayBuffer();
  for (const name of [
    "content-type",
    "content-length",
    "content-security-policy",
    "content-disposition",
    "cross-origin-resource-policy",
    "etag",
    "cache-control",
  ]) {
    expect({ name, value: throughCaddy.headers.get(name) }).toEqual({ name, value: direct.headers.get(name) });
  }
}

function expectCaddyError(reply: Reply, status: number, code: string) {
  expect(reply.status).toBe(status);
  expect(reply.json.error.code).toBe(code);
  expect(reply.json.error.requestId).toBe(reply.headers.get("x-request-id"));
}

describe("body limits", () => {
  test("a body over Caddy's 1 MiB to a JSON route is Caddy's 413; 3 MiB to /files (declared or chunked) is accepted", async () => {
    const someone = await register();
    const json = JSON.stringify({ displayName: "x".repeat(2 * MiB) });
    const declared = await edge("PATCH", "/users/me", { token: someone.token, body: json });
    expectCaddyError(declared, 413, "PAYLOAD_TOO_LARGE");
    // Caddy's message, not the user service's ("Body is larger than 65536 bytes").
    expect(declared.json.error.message).toBe("Body is too large");

    const data = textBytes(3 * MiB);
    const multipart = await uploadMultipart(someone.token, "big.txt", data, "text/plain");
    expect(multipart.status).toBe(201);
    expect(multipart.json).toMatchObject({ size: data.length, contentType: "text/plain", sha256: sha256(data) });

    // No Content-Length: the body streams through Caddy in chunks, still under no 1 MiB cap.
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= data.length) return controller.close();
        controller.enqueue(data.subarray(sent, sent + 256 * 1024));
        sent += 256 * 1024;
      },
    });
    const chunked = await fetch(`${stack.url}/files?name=streamed.txt`, {
      method: "POST",
      headers: { authorization: `Bearer ${someone.token}`, "content-type": "text/plain" },
      body: stream,
    });
    expect(chunked.status).toBe(201);
    const streamed = (await chunked.json()) as { id: string; size: number; sha256: string };
    expect(streamed).toMatchObject({ size: data.length, sha256: sha256(data) });

    // Leave the storage empty for the deletion test below.
    for (const id of [multipart.json.id, streamed.id]) expect((await edge("DELETE", `/files/${id}`, { token: someone.token })).status).toBe(204);
    await eventually(async () => (await storedFiles()).length === 0);
  });
});

describe("a user's life, through Caddy", () => {
  let user: { email: string; id: string; token: string };
  let avatar: { fileId: string; url: string; smallUrl: string };
  let tusFile: { id: string; data: Buffer };
  let signed = "";

  test("register, then profile and preferences", async () => {
    user = await register();
    const me = await eventually(async () => {
      const reply = await edge("GET", "/users/me", { token: user.token });
      return reply.status === 200 && reply.json.email === user.email ? reply : undefined;
    });
    expect(me.json).toMatchObject({ id: user.id, avatar: null });
    // JSON answers carry Caddy's API policy.
    expect(me.headers.get("content-security-policy")).toBe(apiCsp);

    const preferences = await edge("GET", "/users/me/preferences", { token: user.token });
    expect(preferences.status).toBe(200);
    const saved = await edge("PUT", "/users/me/preferences", {
      token: user.token,
      body: { version: preferences.json.version, preferences: { ...preferences.json.preferences, theme: "dark" } },
    });
    expect(saved.status).toBe(200);
    expect(saved.json).toMatchObject({ version: preferences.json.version + 1, preferences: { theme: "dark" } });
    expect((await edge("GET", "/users/me/preferences", { token: user.token })).json.preferences.theme).toBe("dark");
  });

  test("an avatar uploaded as multipart becomes the profile picture, served at two sizes without a token", async () => {
    const image = await sharp({ create: { width: 320, height: 240, channels: 3, background: "gray", noise: { type: "gaussian", mean: 128, sigma: 40 } } })
      .jpeg({ quality: 80 })
      .toBuffer();
    const uploaded = await uploadMultipart(user.token, "me.jpg", image, "image/jpeg");
    expect(uploaded.status).toBe(201);
    expect(uploaded.json.contentType).toBe("image/jpeg");

    // The user service learns of the file from file.uploaded; until then the avatar is refused (422).
    const patched = await eventually(async () => {
      const reply = await edge("PATCH", "/users/me", { token: user.token, body: { avatarFileId: uploaded.json.id, displayName: "Ada" } });
      return reply.status === 200 ? reply : undefined;
    });
    expect(patched.json).toMatchObject({ displayName: "Ada", avatar: { fileId: uploaded.json.id } });
    const me = await edge("GET", "/users/me", { token: user.token });
    avatar = me.json.avatar;
    expect(me.json.displayName).toBe("Ada");
    expect(avatar.url).toBe(`${stack.url}/files/${uploaded.json.id}/content`);
    expect(avatar.smallUrl.startsWith(`${avatar.url}?`)).toBe(true);

    // The avatar was made public by the user service, calling the file service through Caddy's internal listener.
    const internalHost = new URL(stack.internalUrl).host;
    const internalRequests = stack.caddy
      .output()
      .split("\n")
      .filter((line) => line.includes(`"host":"${internalHost}"`));
    expect(internalRequests.some((line) => line.includes('"uri":"/auth/token"'))).toBe(true);
    expect(internalRequests.some((line) => line.includes(`"method":"PATCH","host":"${internalHost}","uri":"/files/${uploaded.json.id}"`))).toBe(true);

    const original = await fetch(avatar.url);
    expect(original.status).toBe(200);
    expect(original.headers.get("content-type")).toBe("image/jpeg");
    expect(sha256(new Uint8Array(await original.arrayBuffer()))).toBe(sha256(image));
    // The file service's own headers pass through as it sends them: its sandboxing policy (not Caddy's API one), inline, ETag.
    await expectContentHeadersKept(original, avatar.url);
    expect(original.headers.get("content-security-policy")).toContain("sandbox");
    expect(original.headers.get("content-disposition")).toStartWith("inline");
    expect(original.headers.get("x-content-type-options")).toBe("nosniff");
    expect(original.headers.get("server")).toBeNull();
    const etag = original.headers.get("etag") as string;
    expect(etag).toBeTruthy();
    const notModified = await fetch(avatar.url, { headers: { "if-none-match": etag } });
    expect(notModified.status).toBe(304);
    const range = await fetch(avatar.url, { headers: { range: "bytes=0-99" } });
    expect(range.status).toBe(206);
    expect(range.headers.get("content-range")).toBe(`bytes 0-99/${image.length}`);
    expect((await range.arrayBuffer()).byteLength).toBe(100);

    const small = await fetch(avatar.smallUrl);
    expect(small.status).toBe(200);
    expect(small.headers.get("content-type")).toBe("image/webp");
    const metadata = await sharp(new Uint8Array(await small.arrayBuffer())).metadata();
    expect({ format: metadata.format, width: metadata.width, height: metadata.height }).toEqual({ format: "webp", width: 128, height: 128 });
  });

  test("a resumable upload through Caddy: a PATCH over 1 MiB cut midway keeps what arrived, and tus-js-client resumes from there", async () => {
    const data = textBytes(3 * MiB);
    const tusHeaders = { authorization: `Bearer ${user.token}`, "tus-resumable": "1.0.0" };
    const created = await fetch(`${stack.url}/files/uploads`, {
      method: "POST",
      headers: { ...tusHeaders, "upload-length": String(data.length), "upload-metadata": `filename ${btoa("notes.txt")},filetype ${btoa("text/plain")}` },
    });
    expect(created.status).toBe(201);
    const location = created.headers.get("location") as string;
    expect(location.startsWith(`${stack.url}/files/uploads/`)).toBe(true);

    // A phone on a bad connection: a PATCH announcing 2 MiB sends 1.25 MiB, then the connection dies.
    const sent = 1.25 * MiB;
    const { port } = new URL(stack.url);
    let pending = Buffer.concat([
      Buffer.from(
        `PATCH ${new URL(location).pathname} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${user.token}\r\nTus-Resumable: 1.0.0\r\n` +
          `Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: ${2 * MiB}\r\n\r\n`,
      ),
      data.subarray(0, sent),
    ]);
    const socket = await new Promise<Bun.Socket>((resolve) => {
      const send = (connection: Bun.Socket) => {
        pending = pending.subarray(connection.write(pending));
        if (pending.length === 0) resolve(connection);
      };
      void Bun.connect({ hostname: "127.0.0.1", port: Number(port), socket: { open: send, drain: send, data() {} } });
    });
    // Caddy streams: the file service holds every byte sent while the request is still incomplete.
    await eventually(async () => {
      const parts = await readdir(join(stack.fileStorageDir, ".tmp"), { withFileTypes: true }).catch(() => []);
      const sizes = await Promise.all(parts.filter((part) => part.isFile()).map(async (part) => (await stat(join(part.parentPath, part.name))).size));
      return sizes.includes(sent);
    });
    socket.end();
    await eventually(async () => Number((await fetch(location, { method: "HEAD", headers: tusHeaders })).headers.get("upload-offset")) === sent);

    const patchOffsets: number[] = [];
    const outcome = await new Promise<{ ok: true; fileId: string } | { ok: false; error: Error }>((resolve) => {
      new tus.Upload(data, {
        uploadUrl: location,
        headers: { authorization: `Bearer ${user.token}` },
        chunkSize: 2 * MiB,
        retryDelays: [0, 100, 200, 400, 800, 1600],
        onBeforeRequest: (request) => {
          if (request.getMethod() === "PATCH") patchOffsets.push(Number(request.getHeader("Upload-Offset")));
        },
        onSuccess: (payload) => resolve({ ok: true, fileId: payload.lastResponse.getHeader("Lodge-File-Id") as string }),
        onError: (error) => resolve({ ok: false, error }),
      }).start();
    });
    if (!outcome.ok) throw outcome.error;
    // It resumed where the cut connection left off, in one PATCH of 1.75 MiB.
    expect(patchOffsets).toEqual([sent]);
    const file = await edge("GET", `/files/${outcome.fileId}`, { token: user.token });
    expect(file.json).toMatchObject({ name: "notes.txt", size: data.length, contentType: "text/plain", sha256: sha256(data) });
    tusFile = { id: outcome.fileId, data };
  });

  test("a signed URL works without a token; a tampered one is refused", async () => {
    const reply = await edge("POST", `/files/${tusFile.id}/signed-url`, { token: user.token, body: { expiresIn: 600 } });
    expect(reply.status).toBe(200);
    signed = reply.json.url;
    expect(signed.startsWith(`${stack.url}/files/${tusFile.id}/content?`)).toBe(true);

    const content = await fetch(signed);
    expect(content.status).toBe(200);
    expect(sha256(new Uint8Array(await content.arrayBuffer()))).toBe(sha256(tusFile.data));
    // Without the signature (and a token) it is private.
    expect((await fetch(`${stack.url}/files/${tusFile.id}/content`)).status).toBe(401);

    const url = new URL(signed);
    const sig = url.searchParams.get("sig") as string;
    url.searchParams.set("sig", `${sig.slice(0, -2)}${sig.endsWith("AA") ? "BB" : "AA"}`);
    const tampered = await fetch(url);
    expect([401, 403]).toContain(tampered.status);
    const error = (await tampered.json()) as { error: { code: string } };
    expect(["FORBIDDEN", "UNAUTHORIZED"]).toContain(error.error.code);
    // An error from the file service carries Caddy's API policy (the service set none).
    expect(tampered.headers.get("content-security-policy")).toBe(apiCsp);
  });

  test("active content (SVG) comes through as the file service serves it: an attachment under its sandboxing policy", async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><script>alert(1)</script></svg>');
    const uploaded = await uploadMultipart(user.token, "drawing.svg", svg, "image/svg+xml");
    expect(uploaded.status).toBe(201);
    const auth = { authorization: `Bearer ${user.token}` };
    const content = await fetch(`${stack.url}/files/${uploaded.json.id}/content`, { headers: auth });
    expect(content.status).toBe(200);
    await content.arrayBuffer();
    expect(content.headers.get("content-disposition")).toStartWith("attachment");
    expect(content.headers.get("content-security-policy")).toContain("sandbox");
    await expectContentHeadersKept(content, `${stack.url}/files/${uploaded.json.id}/content`, auth);
  });

  test("the export gathers every service's part through Caddy, the notification inbox and the AI and analytics services' parts included", async () => {
    expect((await edge("POST", "/auth/password/forgot", { body: { email: user.email } })).status).toBeLessThan(300);
    await eventually(async () => (await edge("GET", "/notifications", { token: user.token })).json.notifications?.length === 1);
    const exported = await edge("GET", "/users/me/export", { token: user.token });
    expect(exported.status).toBe(200);
    expect(Object.keys(exported.json.services).sort()).toEqual(["ai", "analytics", "auth", "bot", "file", "notification", "user"]);
    expect(exported.json.services.notification.notifications.map((notification: { type: string }) => notification.type)).toEqual(["auth.password_reset"]);
    expect(exported.json.services.ai).toEqual({ userId: user.id, keys: [], limits: null, usage: [], jobs: [] });
    expect(exported.json.services.analytics).toMatchObject({ userId: user.id, sites: [] });
  });

  test("deleting the account: the profile is gone, the files' content is 404, storage is empty, the inbox is erased, the deletion completes", async () => {
    expect((await storedFiles()).length).toBeGreaterThan(0);
    const requested = await edge("DELETE", "/users/me", { token: user.token, body: { password } });
    expect(requested.status).toBe(202);

    await eventually(async () => (await edge("GET", "/users/me", { token: user.token })).status === 401);
    for (const url of [avatar.url, avatar.smallUrl, signed]) await eventually(async () => (await fetch(url)).status === 404);
    await eventually(async () => (await storedFiles()).length === 0);
    // Auth has forgotten the user as well.
    expect((await edge("POST", "/auth/login", { body: { email: user.email, password } })).status).toBe(401);
    // Every erasing service acknowledged, the notification, AI and analytics services included, so the saga completed.
    const deleted = await eventually(async () => (await readStream(stack.redis, stack.prefix, "user.deleted")).find((event) => event.data.userId === user.id));
    expect(deleted.data).toEqual({ userId: user.id });
    const acknowledged = (await readStream(stack.redis, stack.prefix, "user.data_erased")).filter((event) => event.data.userId === user.id);
    expect(acknowledged.map((event) => event.data.service).sort()).toEqual(["ai", "analytics", "auth", "bot", "file", "notification", "user"]);
    const { db } = stack.database;
    expect((await db.select().from(notifications)).filter((row) => row.userId === user.id)).toEqual([]);
    expect((await db.select().from(recipients)).filter((row) => row.userId === user.id)).toEqual([]);
  });
});

describe("Caddy's internal listener", () => {
  test("serves the same routes over plain HTTP, and never the operations endpoints", async () => {
    expect((await call(stack.internalUrl, "GET", "/.well-known/jwks.json")).status).toBe(200);
    expect((await call(stack.internalUrl, "GET", "/users/me")).status).toBe(401);
    for (const path of ["/metrics", "/ready", "/health"]) expectCaddyError(await call(stack.internalUrl, "GET", path), 404, "NOT_FOUND");
  });
});
