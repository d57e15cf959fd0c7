import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "@lodge/config";
import { files, uploads, variants } from "@lodge/db/schema";
import { createTestDatabase } from "@lodge/db/testing";
import { createLogger } from "@lodge/kit";
import { createTestClock, createTestRedis, eventually, call as request, startTestIssuer } from "@lodge/kit/testing";
import { count, eq } from "drizzle-orm";
import { requestBodyCap } from "../src/config";
import { fileEnv } from "../src/env";
import type { Storage } from "../src/helpers/storage/index";
import { startFileService } from "../src/service";

/** The service clients the tests use and their scopes: the user service's, a reader's, and one with no file scope. */
const clientScopes = {
  "users-service": ["files:read", "files:write", "files:export"],
  reader: ["files:read"],
  other: ["notifications:send"],
};
export const SIGNING_SECRET = "file-test-signing-secret-0123456789abcdef";

export type TestFiles = Awaited<ReturnType<typeof startTestFiles>>;

/**
 * A real file service on a random port, with its own test database and Redis key prefix. It
 * verifies tokens with the kit guard against the JWKS of a test issuer that signs them as the auth
 * service does (no file test is about auth itself, and file's rows do not reference auth's). Storage is a fresh temporary directory
 * unless `storage` is given (the S3 tests pass one on s3rver). `advance` moves the clock; `frozen`
 * runs work with the clock standing still (answers that count down to an expiry then compare).
 */
export async function startTestFiles(env: Record<string, string> = {}, options: { storage?: Storage; jobs?: boolean } = {}) {
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  const silent = (service: string) => createLogger({ service, level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const { now: clock, advance, frozen } = createTestClock();

  const issuer = await startTestIssuer({ clock });

  const directory = await mkdtemp(join(tmpdir(), "lodge-files-"));
  const parsed = parseEnv(fileEnv, {
    DATABASE_URL: database.url,
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_PREFIX: prefix,
    JWKS_URL: issuer.jwksUrl,
    LOG_LEVEL: "silent",
    FILE_STORAGE_DIR: directory,
    FILE_SIGNING_SECRET: SIGNING_SECRET,
    CORS_ORIGINS: "https://app.example.com",
    ...env,
  });
  const service = await startFileService({
    env: parsed,
    database,
    redis,
    clock,
    storage: options.storage,
    jobs: options.jobs ?? false,
    logger: silent("file"),
  });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: service.app.fetch, maxRequestBodySize: requestBodyCap(parsed.FILE_MAX_SIZE_BYTES) });
  const url = `http://127.0.0.1:${server.port}`;
  const { storage } = service.deps;
  const db = database.db;

  const call = (method: string, path: string, options?: Parameters<typeof request>[3]) => request(url, method, path, options);

  /** A signed-in user: a fresh id and its access token, signed by the test issuer. */
  const user = () => issuer.user();

  /** An admin's access token (the role is in the token, as auth signs it at login). */
  const admin = () => issuer.admin();

  /** A service client's token with the scopes each client is granted in production-like config. */
  const client = (clientId: keyof typeof clientScopes) => issuer.client(clientId, clientScopes[clientId]);

  /** POST /files with raw bytes (or a multipart body when `multipart` is set). */
  async function upload(token: string, bytes: Uint8Array | string, options: { name?: string; type?: string; multipart?: boolean; query?: string } = {}) {
    let body: RequestInit["body"];
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (options.multipart) {
      const form = new FormData();
      form.append("file", new Blob([bytes], options.type ? { type: options.type } : {}), options.name ?? "upload.bin");
      body = form;
    } else {
      body = bytes;
      headers["content-type"] = options.type ?? "application/octet-stream";
    }
    const query = options.query ?? (options.name && !options.multipart ? `?name=${encodeURIComponent(options.name)}` : "");
    const response = await fetch(`${url}/files${query}`, { method: "POST", headers, body });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: response.status, headers: response.headers, text, json };
  }

  /** Row counts and stored objects: what a refused request must leave unchanged. */
  async function snapshot() {
    const [fileCount] = await db.select({ n: count() }).from(files);
    const [variantCount] = await db.select({ n: count() }).from(variants);
    const [uploadCount] = await db.select({ n: count() }).from(uploads);
    const temporary = await readdir(join(directory, ".tmp")).catch(() => []);
    return { files: fileCount?.n, variants: variantCount?.n, uploads: uploadCount?.n, objects: await storage.list(""), temporary };
  }

  /** Where a file's bytes are, and the prefix of an upload's parts (keys are per user now; rows say which). */
  async function fileKeyOf(fileId: string) {
    const [row] = await db.select({ key: files.storageKey }).from(files).where(eq(files.id, fileId));
    if (!row) throw new Error(`no file ${fileId}`);
    return row.key;
  }
  async function uploadKeyOf(uploadId: string) {
    const [row] = await db.select({ key: uploads.storageKey }).from(uploads).where(eq(uploads.id, uploadId));
    if (!row) throw new Error(`no upload ${uploadId}`);
    return row.key;
  }

  /**
   * A tus PATCH over a raw connection that sends the first `first` bytes of `body` and returns once
   * the server is writing them (a temporary part holds them: local storage only); `rest()` sends the others.
   */
  async function slowPatch(token: string, location: string, body: Buffer, first: number) {
    const head = Buffer.from(
      `PATCH ${location} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
        `Content-Type: application/offset+octet-stream\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    let pending: Uint8Array = Buffer.concat([head, body.subarray(0, first)]);
    let answer = "";
    let answered!: (status: number) => void;
    const status = new Promise<number>((resolve) => {
      answered = resolve;
    });
    const send = (socket: Bun.Socket) => {
      pending = pending.subarray(socket.write(pending));
    };
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port: Number(server.port),
      socket: {
        open: send,
        drain: send,
        data(_socket, chunk) {
          answer += chunk.toString();
          const match = answer.match(/^HTTP\/1\.1 (\d{3})/);
          if (match) answered(Number(match[1]));
        },
      },
    });
    await eventually(async () => {
      const temporary = await readdir(join(directory, ".tmp"));
      const sizes = await Promise.all(temporary.map(async (name) => (await stat(join(directory, ".tmp", name)).catch(() => null))?.size));
      return sizes.includes(first);
    });
    return {
      status,
      rest: () => {
        pending = body.subarray(first);
        send(socket);
      },
    };
  }

  return {
    url,
    issuer,
    slowPatch,
    fileKeyOf,
    uploadKeyOf,
    call,
    user,
    admin,
    client,
    upload,
    snapshot,
    service,
    deps: service.deps,
    db,
    storage,
    redis,
    prefix,
    directory,
    advance,
    frozen,
    close: async () => {
      await server.stop(true);
      await service.close();
      await issuer.stop();
      await database.drop();
      await cleanup();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
