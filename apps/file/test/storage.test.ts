import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTcpProxy, eventually } from "@lodge/kit/testing";
import { concatObjects, createStorage, deletePrefix, type Storage } from "../src/helpers/storage/index";
import { startTestFiles, type TestFiles } from "./harness";
import { images, sha256 } from "./images";
import { startS3rver } from "./s3rver";

/** One suite, run against both drivers: the local filesystem and S3 (Bun.S3Client against a real s3rver). */
let s3: Awaited<ReturnType<typeof startS3rver>>;
let directory: string;
const drivers: Record<string, Storage> = {};
beforeAll(async () => {
  s3 = await startS3rver();
  directory = await mkdtemp(join(tmpdir(), "lodge-storage-"));
  drivers.local = await createStorage({ driver: "local", directory });
  drivers.s3 = await createStorage({ driver: "s3", ...s3.options });
});
afterAll(async () => {
  await s3.stop();
  await rm(directory, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
function streamOf(chunks: Uint8Array[], failAfter?: number) {
  let index = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAfter !== undefined && index === failAfter) return controller.error(new Error("client went away"));
      const chunk = chunks[index++];
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
  });
}
const pattern = (size: number, seed: number) => Uint8Array.from({ length: size }, (_, index) => (index * 31 + seed) & 255);

for (const name of ["local", "s3"] as const) {
  describe(`${name} driver`, () => {
    const storage = () => drivers[name] as Storage;

    test("bytes in, bytes out: whole, by range, and as a Response body", async () => {
      const data = pattern(5000, 1);
      expect(await storage().write("files/a", data)).toBe(5000);
      expect(await storage().size("files/a")).toBe(5000);
      expect(await storage().bytes("files/a")).toEqual(data);
      expect(new Uint8Array(await new Response(storage().body("files/a")).arrayBuffer())).toEqual(data);
      expect(new Uint8Array(await new Response(storage().body("files/a", { start: 100, end: 199 })).arrayBuffer())).toEqual(data.subarray(100, 200));
      expect(new Uint8Array(await new Response(storage().read("files/a", { start: 4990, end: 4999 })).arrayBuffer())).toEqual(data.subarray(4990));
      await storage().check();
    });

    test("a multi-megabyte stream is written in order (several S3 parts)", async () => {
      const chunks = Array.from({ length: 10 }, (_, index) => pattern(MiB, index));
      expect(await storage().write("files/big", streamOf(chunks))).toBe(10 * MiB);
      expect(sha256(await storage().bytes("files/big"))).toBe(sha256(Buffer.concat(chunks)));
    });

    test("a stream that fails midway rejects with its error and leaves nothing", async () => {
      const chunks = Array.from({ length: 10 }, (_, index) => pattern(MiB, index));
      await expect(storage().write("files/broken", streamOf(chunks, 9))).rejects.toThrow("client went away");
      expect(await storage().size("files/broken")).toBeNull();
      expect(await storage().list("files/broken")).toEqual([]);
    });

    test("missing objects: size is null, delete is fine; list and deletePrefix see only their prefix", async () => {
      expect(await storage().size("files/none")).toBeNull();
      await storage().delete("files/none");
      for (const key of ["uploads/u1/000", "uploads/u1/001", "uploads/u2/000"]) await storage().write(key, pattern(10, 3));
      expect(await storage().list("uploads/u1/")).toEqual(["uploads/u1/000", "uploads/u1/001"]);
      expect(await deletePrefix(storage(), "uploads/u1/")).toBe(2);
      expect(await storage().list("uploads/")).toEqual(["uploads/u2/000"]);
      await storage().delete("uploads/u2/000");
      expect(await storage().size("uploads/u2/000")).toBeNull();
    });

    test("scan pages every object under a prefix, each with its write time", async () => {
      const keys = ["scan/b/1", "scan/a/2", "scan/a/1"];
      for (const key of keys) await storage().write(key, pattern(10, 4));
      const seen: { key: string; modifiedAt: Date }[] = [];
      for await (const page of storage().scan("scan/")) seen.push(...page);
      expect(seen.map((object) => object.key).sort()).toEqual([...keys].sort());
      for (const object of seen) expect(Number.isFinite(object.modifiedAt.getTime())).toBe(true);
      expect(await storage().list("scan/a/")).toEqual(["scan/a/1", "scan/a/2"]);
      await deletePrefix(storage(), "scan/");
    });

    test("concatObjects streams objects one after the other", async () => {
      const parts = [pattern(1000, 1), pattern(70_000, 2), pattern(3, 3)];
      for (const [index, part] of parts.entries()) await storage().write(`uploads/c/${index}`, part);
      const joined = new Uint8Array(await new Response(concatObjects(storage(), ["uploads/c/0", "uploads/c/1", "uploads/c/2"])).arrayBuffer());
      expect(joined).toEqual(new Uint8Array(Buffer.concat(parts)));
    });

    test("keys that could leave the root are refused", async () => {
      for (const key of ["../etc/passwd", "/etc/passwd", "files//x", "files/../../x", "Files/X"]) {
        await expect(storage().write(key, pattern(1, 1))).rejects.toThrow("invalid storage key");
      }
    });
  });
}

describe("the service on S3", () => {
  let t: TestFiles;
  beforeAll(async () => {
    t = await startTestFiles({}, { storage: drivers.s3 as Storage });
  });
  afterAll(() => t.close());

  test("upload, range, variant, tus and delete, with every byte in the bucket and nothing left after", async () => {
    const alice = await t.user();
    const before = await drivers.s3?.list("");
    const png = await images.png(100, 50);
    const file = (await t.upload(alice.token, png, { name: "s3.png" })).json;
    expect(file.sha256).toBe(sha256(png));
    expect(await drivers.s3?.bytes(await t.fileKeyOf(file.id))).toEqual(new Uint8Array(png));
    const range = await fetch(`${t.url}/files/${file.id}/content`, { headers: { authorization: `Bearer ${alice.token}`, range: "bytes=0-7" } });
    expect(range.status).toBe(206);
    expect(new Uint8Array(await range.arrayBuffer())).toEqual(new Uint8Array(png.subarray(0, 8)));
    const variant = await fetch(`${t.url}/files/${file.id}/content?w=10&format=png`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(variant.status).toBe(200);

    const headers = { authorization: `Bearer ${alice.token}`, "tus-resumable": "1.0.0" };
    const created = await fetch(`${t.url}/files/uploads`, { method: "POST", headers: { ...headers, "upload-length": "12" } });
    const location = created.headers.get("location") as string;
    const patch = (offset: number, body: string) =>
      fetch(`${t.url}${location}`, {
        method: "PATCH",
        body,
        headers: { ...headers, "upload-offset": String(offset), "content-type": "application/offset+octet-stream" },
      });
    expect((await patch(0, "hello ")).status).toBe(204);
    const done = await patch(6, "world!");
    const tusFile = done.headers.get("lodge-file-id") as string;
    expect((await t.call("GET", `/files/${tusFile}/content`, { token: alice.token })).text).toBe("hello world!");

    for (const id of [file.id, tusFile]) expect((await t.call("DELETE", `/files/${id}`, { token: alice.token })).status).toBe(204);
    expect(await drivers.s3?.list("")).toEqual(before);
  });
});

describe("storage outage", () => {
  let t: TestFiles;
  let proxy: ReturnType<typeof createTcpProxy>;
  let own: Awaited<ReturnType<typeof startS3rver>>;
  beforeAll(async () => {
    own = await startS3rver();
    const { port } = new URL(own.options.endpoint);
    proxy = createTcpProxy({ hostname: "127.0.0.1", port: Number(port) });
    const storage = await createStorage({ driver: "s3", ...own.options, endpoint: `http://127.0.0.1:${proxy.port}` });
    t = await startTestFiles({}, { storage });
  });
  afterAll(async () => {
    proxy.stop();
    await t.close();
    await own.stop();
  });

  test("S3 unreachable: uploads are 503 with Retry-After and leave no row, /ready says so; both recover by themselves", async () => {
    const alice = await t.user();
    const before = (await t.snapshot()).files;
    proxy.cut();
    const refused = await t.upload(alice.token, "while the bucket is away", {});
    expect(refused.status).toBe(503);
    expect(refused.json.error.code).toBe("UNAVAILABLE");
    expect(refused.headers.get("retry-after")).toBeTruthy();
    const ready = await t.call("GET", "/ready");
    expect(ready.status).toBe(503);
    expect(ready.json.checks.storage).toBe("down");
    proxy.restore();
    expect((await t.snapshot()).files).toBe(before);
    await eventually(async () => (await t.call("GET", "/ready")).status === 200);
    expect((await t.upload(alice.token, "back again", {})).status).toBe(201);
  });
});
