import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { variants } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { count, eq } from "drizzle-orm";
import sharp from "sharp";
import { fileEnv } from "../src/env";
import { startTestFiles, type TestFiles } from "./harness";

/**
 * Uncached variants cost CPU (issue 7, finding 8): renderings are bounded per instance (one slot,
 * two waiting here), rationed per client and per file, while variants already rendered are served
 * without counting. Clients are told apart by X-Forwarded-For, which the harness's loopback peer is
 * trusted to send (TRUSTED_PROXIES' default), as Caddy does in production.
 */
let t: TestFiles;
let alice: { id: string; token: string };
const PER_CLIENT = 6;
const PER_FILE = 12;
beforeAll(async () => {
  t = await startTestFiles({
    FILE_RENDER_CONCURRENCY: "1",
    FILE_RENDER_QUEUE: "2",
    FILE_RENDERS_PER_CLIENT_PER_MINUTE: String(PER_CLIENT),
    FILE_RENDERS_PER_FILE_PER_MINUTE: String(PER_FILE),
  });
  alice = await t.user();
});
afterAll(() => t.close());

/** A public photo-like PNG, so anonymous clients can ask for its variants. */
async function publicImage() {
  const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: "gray", noise: { type: "gaussian", mean: 128, sigma: 40 } } })
    .png()
    .toBuffer();
  const id = (await t.upload(alice.token, png, { type: "image/png" })).json.id as string;
  expect((await t.call("PATCH", `/files/${id}`, { token: alice.token, body: { public: true } })).status).toBe(200);
  return id;
}

const get = (path: string, client: string) => fetch(`${t.url}${path}`, { headers: { "x-forwarded-for": client } });

/** A refusal in the one error shape, with Retry-After. */
async function expectRefusal(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  const body = (await response.json()) as { error: { code: string; message: string; requestId: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.requestId).toBe(response.headers.get("x-request-id") as string);
}

/** The value of a sample on the service's own /metrics. */
async function metric(line: string) {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const found = text.split("\n").find((sample) => sample.startsWith(line));
  return found === undefined ? 0 : Number(found.slice(line.length).trim());
}

describe("rendering uncached variants", () => {
  test("many distinct sizes of one image from one client: only its allowance renders, the rest are 429/503, never more than one at once; rendered variants keep being served", async () => {
    const id = await publicImage();
    const before = t.deps.renders.stats();
    const client = "203.0.113.7";
    const answers = await Promise.all(Array.from({ length: 40 }, (_, index) => get(`/files/${id}/content?w=${100 + index}&format=webp`, client)));
    const served = answers.flatMap((answer, index) => (answer.status === 200 ? [100 + index] : []));
    const limited = answers.filter((answer) => answer.status === 429);
    const busy = answers.filter((answer) => answer.status === 503);
    expect(served.length).toBeGreaterThan(0);
    expect(served.length + busy.length).toBe(PER_CLIENT);
    expect(limited.length).toBe(40 - PER_CLIENT);
    for (const answer of limited) await expectRefusal(answer, 429, "RATE_LIMITED");
    for (const answer of busy) await expectRefusal(answer, 503, "UNAVAILABLE");

    const after = t.deps.renders.stats();
    expect(after.started - before.started).toBe(served.length);
    expect(after.rateLimited - before.rateLimited).toBe(40 - PER_CLIENT);
    expect(after.peak).toBe(1);
    expect(await metric('file_variant_renders_total{outcome="started",service="file"}')).toBe(after.started);
    expect(await metric('file_variant_renders_active{service="file"}')).toBe(0);

    // Over its allowance, the client still gets every variant already rendered: from memory, then from storage.
    const stored = async () => (await t.db.select({ n: count() }).from(variants).where(eq(variants.fileId, id)))[0]?.n;
    await eventually(async () => (await stored()) === served.length);
    for (const width of served) expect((await get(`/files/${id}/content?w=${width}&format=webp`, client)).status).toBe(200);
    t.deps.caches.files.delete(id);
    for (const width of served) expect((await get(`/files/${id}/content?w=${width}&format=webp`, client)).status).toBe(200);
    expect(t.deps.renders.stats().started).toBe(after.started);
    // The original is no rendering either; a new size still is refused.
    expect((await get(`/files/${id}/content`, client)).status).toBe(200);
    await expectRefusal(await get(`/files/${id}/content?w=99&format=webp`, client), 429, "RATE_LIMITED");
  });

  test("past the slots and the queue, a rendering is refused at once with 503 + Retry-After; the queued ones render when a slot frees", async () => {
    const id = await publicImage();
    // A long rendering holds the only slot.
    let finish!: () => void;
    const long = t.deps.renders.run(() => new Promise<void>((resolve) => (finish = resolve)));
    const first = get(`/files/${id}/content?w=200`, "198.51.100.1");
    await eventually(() => t.deps.renders.stats().queued === 1);
    const second = get(`/files/${id}/content?w=201`, "198.51.100.2");
    await eventually(() => t.deps.renders.stats().queued === 2);
    expect(await metric('file_variant_renders_queued{service="file"}')).toBe(2);
    await expectRefusal(await get(`/files/${id}/content?w=202`, "198.51.100.3"), 503, "UNAVAILABLE");
    expect(t.deps.renders.stats()).toMatchObject({ active: 1, queued: 2 });

    finish();
    await long;
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(t.deps.renders.stats()).toMatchObject({ active: 0, queued: 0, peak: 1 });
    expect((await get(`/files/${id}/content?w=202`, "198.51.100.3")).status).toBe(200);
  });

  test("one file's renderings are rationed whoever asks; other files are not affected", async () => {
    const id = await publicImage();
    for (let index = 0; index < PER_FILE; index++) {
      expect((await get(`/files/${id}/content?w=${300 + index}`, `192.0.2.${index + 1}`)).status).toBe(200);
    }
    await expectRefusal(await get(`/files/${id}/content?w=299`, "192.0.2.200"), 429, "RATE_LIMITED");
    const other = await publicImage();
    expect((await get(`/files/${other}/content?w=299`, "192.0.2.201")).status).toBe(200);
  });
});

describe("presets only (FILE_VARIANTS_ONLY_PRESETS)", () => {
  let strict: TestFiles;
  beforeAll(async () => {
    strict = await startTestFiles({ FILE_VARIANTS_ONLY_PRESETS: "true" });
  });
  afterAll(() => strict.close());

  test("the default presets (the user service's 128×128 WebP avatar, the 512 list size) are served; any other variant is a 422 that renders nothing", async () => {
    const owner = await strict.user();
    const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: "teal" } })
      .png()
      .toBuffer();
    const id = (await strict.upload(owner.token, png, { type: "image/png" })).json.id as string;
    const auth = { authorization: `Bearer ${owner.token}` };
    // The URL apps/user's present-profile.ts links as an avatar's smallUrl.
    const avatar = await fetch(`${strict.url}/files/${id}/content?w=128&h=128&fit=cover&format=webp`, { headers: auth });
    expect(avatar.status).toBe(200);
    expect(await sharp(Buffer.from(await avatar.arrayBuffer())).metadata()).toMatchObject({ format: "webp", width: 128, height: 128 });
    // Equivalent spellings (defaults written out) are the same preset.
    expect((await fetch(`${strict.url}/files/${id}/content?format=webp&fit=inside&h=512&w=512&q=80`, { headers: auth })).status).toBe(200);
    const started = strict.deps.renders.stats().started;
    for (const query of ["w=127&h=128&fit=cover&format=webp", "w=128&h=128&fit=cover&format=png", "w=128", "format=avif"]) {
      const response = await strict.call("GET", `/files/${id}/content?${query}`, { token: owner.token });
      expect(response.status).toBe(422);
      expect(response.json.error.code).toBe("VALIDATION_FAILED");
    }
    expect(strict.deps.renders.stats().started).toBe(started);
    // The original is not a variant.
    expect((await fetch(`${strict.url}/files/${id}/content`, { headers: auth })).status).toBe(200);
  });
});

test("a preset that is not a valid variant stops the service at boot, saying which and why", () => {
  const base = { DATABASE_URL: "postgres://127.0.0.1/lodge", REDIS_URL: "redis://127.0.0.1:6379" };
  expect(fileEnv.safeParse(base).data?.FILE_VARIANT_PRESETS).toEqual(["w=128&h=128&fit=cover&format=webp", "w=512&h=512&fit=inside&format=webp"]);
  const parsed = fileEnv.safeParse({ ...base, FILE_VARIANT_PRESETS: "w=128&h=128&fit=cover&format=webp,w=99999,fit=stretch,size=big" });
  const messages = parsed.error?.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`) ?? [];
  expect(messages).toHaveLength(3);
  expect(messages.every((message) => message.startsWith("FILE_VARIANT_PRESETS"))).toBe(true);
  expect(messages.join("\n")).toContain('"w=99999"');
  expect(fileEnv.safeParse({ ...base, FILE_VARIANT_PRESETS: "", FILE_VARIANTS_ONLY_PRESETS: "true" }).success).toBe(false);
});
