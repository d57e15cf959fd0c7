/**
 * `bun run bench:file`: the file service as ratios to baselines measured in the same run on the
 * same machine (see DESIGN.md, "Performance"):
 *   - a 500 MB upload (POST /files, raw body) against a bare Bun.serve that streams the same body to
 *     a file while hashing it (bench/lib/bare-upload.ts), and against writing the same bytes straight
 *     to disk, with the peak RSS growth of the service process while it streams (sampled from /proc);
 *   - variant rendering (cache misses, one at a time) against calling sharp directly for the same
 *     operations on the same image;
 *   - a cached variant served (signed URL) against a bare Hono hello-world.
 * The auth service, the file service and the hello-world each run in a process of their own; load
 * comes from this process (wrk when installed, else keep-alive fetch loops), to 127.0.0.1 only.
 *
 * Knobs (env): BENCH_UPLOAD_MB (500), BENCH_UPLOAD_ROUNDS (2), BENCH_VARIANTS (40), BENCH_SECONDS (8),
 * BENCH_CONNECTIONS (32), BENCH_DRIVER (wrk|fetch), BENCH_STEPS (variants,cached,upload: a subset runs
 * only those), BENCH_PROFILE (a directory: the file service writes a CPU profile there when it stops).
 */
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@lodge/db/testing";
import { createTestRedis } from "@lodge/kit/testing";
import { configureRendering, renderVariant } from "../apps/file/src/helpers/rendering";
// sharp as the file service resolves it: the baseline is the very pipeline the service runs, minus HTTP, Postgres and storage.
import { canonicalVariant } from "../apps/file/src/helpers/variant-params";
import { images } from "../apps/file/test/images";
import { pickDriver, runLoad } from "./lib/load";
import { type Child, freePort, startProcess } from "./lib/processes";
import { root, setting } from "./lib/settings";

const MiB = 1024 * 1024;
const uploadMb = setting("BENCH_UPLOAD_MB", 500);
const uploadRounds = setting("BENCH_UPLOAD_ROUNDS", 2);
const steps = new Set((process.env.BENCH_STEPS ?? "variants,cached,upload").split(","));
const variantCount = Math.ceil(setting("BENCH_VARIANTS", 40) / 4) * 4;
const seconds = setting("BENCH_SECONDS", 8);
const connections = setting("BENCH_CONNECTIONS", 32);
const log = (message: string) => console.error(`[bench:file] ${message}`);
// BENCH_PROFILE=<dir>: the file service writes a CPU profile (and its markdown summary) there when it stops.
const profileFlags = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];

// ---------------------------------------------------------------- processes and memory

const start = (name: string, cmd: string[], cwd: string, env: Record<string, string | undefined>, port: number, readyPath: string) =>
  startProcess({ name, cmd, cwd, env, port, readyPath });

/** Resident memory of a process, from /proc (Linux). */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0) * 1024;
}

// ---------------------------------------------------------------- load

const driver = pickDriver(process.env.BENCH_DRIVER, 1);

/** GET `url` from `connections` keep-alive connections for `seconds` (wrk when installed). */
async function load(url: string): Promise<{ rps: number; errors: number }> {
  const { origin, pathname, search } = new URL(url);
  const result = await runLoad(driver, { baseUrl: origin, scenario: { kind: "static", method: "GET", path: `${pathname}${search}` }, connections, seconds });
  return { rps: result.rps, errors: result.errors };
}

// ---------------------------------------------------------------- steps

/** The same 1 MiB of text (an allowed type) again and again. */
const chunk = new TextEncoder().encode("Lodge bench upload line, streamed to storage and hashed.\n".repeat(Math.ceil(MiB / 57)).slice(0, MiB));

async function writeToDisk(path: string, megabytes: number) {
  const started = performance.now();
  const handle = await open(path, "w");
  for (let index = 0; index < megabytes; index++) await handle.write(chunk);
  await handle.close();
  const elapsed = (performance.now() - started) / 1000;
  await rm(path, { force: true });
  return elapsed;
}

/** POSTs `megabytes` of the chunk to `url`, streamed; resolves with the seconds it took and the answer. */
async function upload(url: string, headers: Record<string, string>, megabytes: number) {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= megabytes) return controller.close();
      sent += 1;
      controller.enqueue(chunk);
    },
  });
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: { ...headers, "content-type": "text/plain", "content-length": String(megabytes * MiB) },
  });
  const json = (await response.json()) as { id?: string; size?: number };
  const elapsed = (performance.now() - started) / 1000;
  if (response.status !== 201 || json.size !== megabytes * MiB) throw new Error(`upload to ${url}: ${response.status} ${JSON.stringify(json)}`);
  return { elapsed, id: json.id };
}

async function main() {
  log(`${navigator.hardwareConcurrency} cores; Bun ${Bun.version}; load by ${driver.kind}`);
  const database = await createTestDatabase();
  const redis = await createTestRedis();
  const directory = await mkdtemp(join(tmpdir(), "lodge-bench-files-"));
  const children: Child[] = [];
  const cleanup = async () => {
    for (const child of children) await child.stop().catch(() => {});
    await database.drop().catch(() => {});
    await redis.cleanup().catch(() => {});
    await rm(directory, { recursive: true, force: true });
  };
  process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));
  try {
    const common = {
      ...process.env,
      HOST: "127.0.0.1",
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      REDIS_PREFIX: redis.prefix,
      LOG_LEVEL: "warn",
    };
    const [authPort, filePort, helloPort, barePort] = [freePort(), freePort(), freePort(), freePort()];
    const auth = await start(
      "auth",
      [process.execPath, "run", "apps/auth/src/main.ts"],
      root,
      { ...common, PORT: String(authPort), AUTH_COOKIE_SECURE: "false" },
      authPort,
      "/ready",
    );
    children.push(auth);
    const file = await start(
      "file",
      [process.execPath, ...profileFlags, "run", "apps/file/src/main.ts"],
      root,
      {
        ...common,
        NODE_ENV: "production",
        PORT: String(filePort),
        JWKS_URL: `${auth.url}/.well-known/jwks.json`,
        FILE_STORAGE_DIR: directory,
        FILE_SIGNING_SECRET: "bench-signing-secret-0123456789abcdef",
        FILE_MAX_SIZE_BYTES: String((uploadMb + 10) * MiB),
        FILE_QUOTA_BYTES: String(4 * (uploadMb + 100) * MiB),
        // Every measured rendering is stored, as a real cache miss is.
        FILE_MAX_VARIANTS_PER_FILE: "1000",
        // The bench measures a rendering's cost, not the limits that ration them: one client renders them all.
        FILE_RENDERS_PER_CLIENT_PER_MINUTE: "100000",
        FILE_RENDERS_PER_FILE_PER_MINUTE: "100000",
      },
      filePort,
      "/ready",
    );
    children.push(file);
    // Evaluated in apps/file, so `hono` is the very copy the service uses.
    const hello = await start(
      "hello-world",
      [
        process.execPath,
        "-e",
        `import { Hono } from "hono"; Bun.serve({ port: ${helloPort}, hostname: "127.0.0.1", fetch: new Hono().get("/", (c) => c.text("ok")).fetch });`,
      ],
      `${root}apps/file`,
      { ...process.env },
      helloPort,
      "/",
    );
    children.push(hello);
    const bare = await start(
      "bare upload server",
      [process.execPath, "run", "bench/lib/bare-upload.ts"],
      root,
      { ...process.env, PORT: String(barePort), BARE_UPLOAD_DIR: directory },
      barePort,
      "/",
    );
    children.push(bare);

    const registered = await fetch(`${auth.url}/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: `bench-${crypto.randomUUID().slice(0, 8)}@example.com`, password: "a perfectly fine bench password" }),
    });
    const { accessToken: token } = (await registered.json()) as { accessToken: string };
    const rows: { name: string; detail: string; ratio: number; target: number }[] = [];
    const lines: string[] = [];

    log("a 2400x1600 JPEG to render and serve");
    const photo = await images.noisyJpeg(2400, 1600);
    const created = await fetch(`${file.url}/files?name=photo.jpg`, {
      method: "POST",
      body: photo,
      headers: { authorization: `Bearer ${token}`, "content-type": "image/jpeg" },
    });
    const photoId = ((await created.json()) as { id: string }).id;
    // Let the upload's own thumbnail job finish first.
    for (let tries = 0; tries < 200; tries++) {
      const rows = (await database.db.execute(`select count(*)::int as n from file.variants where file_id = '${photoId}'`)) as unknown as { n: number }[];
      if ((rows[0]?.n ?? 0) >= 2) break;
      await Bun.sleep(50);
    }

    if (steps.has("variants")) {
      log(`variants: ${variantCount} renderings, one at a time`);
      configureRendering();
      const photoPath = join(directory, "photo.jpg");
      await Bun.write(photoPath, photo);
      // Distinct widths: every service request is a cache miss, rendered and stored. Each offset gives a fresh set.
      const widths = (offset: number, count: number) => Array.from({ length: count }, (_, index) => 400 + offset + index * 16);
      const direct = async (list: number[]) => {
        const started = performance.now();
        for (const width of list)
          await renderVariant(photoPath, canonicalVariant({ w: width, format: "webp", q: 80 }) as NonNullable<ReturnType<typeof canonicalVariant>>, 50_000_000);
        return (performance.now() - started) / 1000;
      };
      const viaService = async (list: number[]) => {
        const started = performance.now();
        for (const width of list) {
          const response = await fetch(`${file.url}/files/${photoId}/content?w=${width}&format=webp&q=80`, { headers: { authorization: `Bearer ${token}` } });
          if (response.status !== 200) throw new Error(`variant: ${response.status} ${await response.text()}`);
          await response.arrayBuffer();
        }
        return (performance.now() - started) / 1000;
      };
      await direct(widths(1, 5));
      await viaService(widths(2, 5));
      // Alternating rounds, so load from elsewhere on the machine falls on both sides alike.
      const rounds = 4;
      let directTotal = 0;
      let serviceSeconds = 0;
      for (let round = 0; round < rounds; round++) {
        directTotal += await direct(widths(3 + 2 * round, variantCount / rounds));
        serviceSeconds += await viaService(widths(4 + 2 * round, variantCount / rounds));
      }
      rows.push({
        name: "variant rendering vs sharp directly",
        detail: `${(variantCount / serviceSeconds).toFixed(1)}/s vs ${(variantCount / directTotal).toFixed(1)}/s`,
        ratio: directTotal / serviceSeconds,
        target: 0.9,
      });
    }

    let loadErrors = 0;
    if (steps.has("cached")) {
      const signed = await fetch(`${file.url}/files/${photoId}/signed-url`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ expiresIn: 3600 }),
      });
      const variantUrl = `${file.url}${((await signed.json()) as { url: string }).url}&w=128&h=128&fit=cover&format=webp`;
      const warm = await fetch(variantUrl);
      const variantBytes = (await warm.arrayBuffer()).byteLength;
      log(`cached variant (${variantBytes} bytes) and hello-world: ${seconds}s each, ${connections} connections`);
      await load(`${hello.url}/`);
      const helloResult = await load(`${hello.url}/`);
      await load(variantUrl);
      const variantResult = await load(variantUrl);
      loadErrors = helloResult.errors + variantResult.errors;
      rows.push({
        name: "cached variant vs Hono hello-world",
        detail: `${variantResult.rps.toFixed(0)}/s vs ${helloResult.rps.toFixed(0)}/s`,
        ratio: variantResult.rps / helloResult.rps,
        target: 0.3,
      });
    }

    // A large upload against the bare server and the disk, last: its writeback to disk would slow what follows.
    if (steps.has("upload")) {
      Bun.spawnSync(["sync"]);
      log(`upload: ${uploadMb} MB, ${uploadRounds} rounds of disk, bare server and service, after a 20 MB warm-up of each`);
      const service = { url: `${file.url}/files?name=bench.txt`, headers: { authorization: `Bearer ${token}` } };
      const toService = async (megabytes: number) => {
        const { elapsed, id } = await upload(service.url, service.headers, megabytes);
        await fetch(`${file.url}/files/${id}`, { method: "DELETE", headers: service.headers });
        return elapsed;
      };
      await upload(`${bare.url}/`, {}, 20);
      await toService(20);
      const diskPath = join(directory, "baseline.bin");
      const totals = { disk: 0, bare: 0, service: 0 };
      let rssBefore = Number.POSITIVE_INFINITY;
      let growth = 0;
      for (let round = 0; round < uploadRounds; round++) {
        totals.disk += await writeToDisk(diskPath, uploadMb);
        totals.bare += (await upload(`${bare.url}/`, {}, uploadMb)).elapsed;
        const before = await rssOf(file.pid);
        rssBefore = Math.min(rssBefore, before);
        let peak = before;
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            peak = Math.max(peak, await rssOf(file.pid).catch(() => 0));
            await Bun.sleep(10);
          }
        })();
        totals.service += await toService(uploadMb);
        sampling = false;
        await sampler;
        growth = Math.max(growth, peak - before);
      }
      const rate = (total: number) => (uploadMb * uploadRounds) / total;
      rows.push({
        name: `${uploadMb} MB upload (POST /files) vs bare streaming server`,
        detail: `${rate(totals.service).toFixed(0)} MB/s vs ${rate(totals.bare).toFixed(0)} MB/s`,
        ratio: totals.bare / totals.service,
        target: 0.7,
      });
      rows.push({
        name: `${uploadMb} MB upload (POST /files) vs write to disk`,
        detail: `${rate(totals.service).toFixed(0)} MB/s vs ${rate(totals.disk).toFixed(0)} MB/s`,
        ratio: totals.disk / totals.service,
        target: 0.7,
      });
      const growthMb = growth / MiB;
      lines.push(
        `${"service RSS growth during an upload (peak)".padEnd(52)} ${`${growthMb.toFixed(1)} MB (from ${(rssBefore / MiB).toFixed(0)} MB)`.padEnd(26)} ${"".padEnd(11)}  target <  64 MB  ${growthMb < 64 ? "PASS" : "MISS"}`,
      );
    }

    console.log(`\nFile bench: ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}\n`);
    for (const { name, detail, ratio, target } of rows) {
      console.log(
        `${name.padEnd(52)} ${detail.padEnd(26)} ratio ${ratio.toFixed(2).padStart(5)}  target >= ${target.toFixed(2)}  ${ratio >= target ? "PASS" : "MISS"}`,
      );
    }
    for (const line of lines) console.log(line);
    if (loadErrors > 0) console.log(`\n${loadErrors} non-2xx answers under load`);
    return loadErrors === 0;
  } finally {
    await cleanup();
  }
}

let clean = false;
try {
  clean = await main();
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
}
process.exit(clean ? 0 : 1);
