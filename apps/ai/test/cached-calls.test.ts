import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { usage } from "@lodge/db/schema";
import { eventually } from "@lodge/kit/testing";
import { eq } from "drizzle-orm";
import type OpenAI from "openai";
import { startTestAi, type TestAi, testRegistry } from "./harness";

/**
 * The response cache on POST /ai/v1/chat/completions and /ai/v1/embeddings, through the official
 * SDK: a cacheable call's answer is stored after it was sent (off the request path, so tests wait
 * for the entry), an identical call is answered from it without an upstream request, admitted
 * like any call and recorded as cached at no cost.
 */
let t: TestAi;
beforeAll(async () => {
  t = await startTestAi({ registry: testRegistry });
});
afterAll(() => t.close());

type User = { id: string; token: string };
const question = (text: string) => ({ model: "chat", messages: [{ role: "user" as const, content: text }], temperature: 0 });
const upstreamChats = () => t.fake.sentFor("gpt-4o-mini").length;

/** Once `count` answers of `user` are in the cache. */
const cachedFor = (user: User, count: number) => eventually(async () => (await t.cachedAnswers(user.id)).length >= count);

async function chat(user: User, body: OpenAI.ChatCompletionCreateParamsNonStreaming, headers: Record<string, string> = {}) {
  const { data, response } = await t.sdk(user.token).chat.completions.create(body, { headers }).withResponse();
  return { data, cache: response.headers.get("x-lodge-cache"), remaining: Number(response.headers.get("x-ratelimit-remaining-requests")) };
}

async function stream(user: User, body: OpenAI.ChatCompletionCreateParamsStreaming) {
  const { data, response } = await t.sdk(user.token).chat.completions.create(body).withResponse();
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of data) chunks.push(chunk);
  return { chunks, cache: response.headers.get("x-lodge-cache") };
}

describe("a non-streamed call", () => {
  test("a second identical temperature-0 call is a hit: the same answer, no upstream request, one more request counted", async () => {
    const user = await t.user();
    const first = await chat(user, question("What is a lodge?"));
    expect(first.cache).toBe("miss");
    await cachedFor(user, 1);
    const before = upstreamChats();
    const second = await chat(user, question("What is a lodge?"));
    expect(second.cache).toBe("hit");
    expect(second.data).toEqual(first.data);
    expect(upstreamChats()).toBe(before);
    // A hit goes through admission: it is one of the minute's requests.
    expect(second.remaining).toBe(first.remaining - 1);
  });

  test("the hit is settled as cached: no deployment, no price, the stored answer's tokens", async () => {
    const user = await t.user();
    const from = t.settled.length;
    await chat(user, question("Settle me"));
    await cachedFor(user, 1);
    await chat(user, question("Settle me"));
    const [miss, hit] = [await t.settledCall(from + 1), await t.settledCall(from + 2)];
    expect(miss).toMatchObject({ cached: false, deployment: "openai/gpt-4o-mini", tokensFrom: "upstream" });
    expect(hit).toMatchObject({ cached: true, deployment: null, provider: null, pricing: null, status: "ok", httpStatus: 200 });
    expect([hit.inputTokens, hit.outputTokens]).toEqual([miss.inputTokens, miss.outputTokens]);
  });

  test("x-lodge-cache: off bypasses the cache (and says nothing); another user never gets the first one's answer", async () => {
    const user = await t.user();
    await chat(user, question("Only mine"));
    await cachedFor(user, 1);
    const before = upstreamChats();
    const bypassed = await chat(user, question("Only mine"), { "x-lodge-cache": "off" });
    expect(bypassed.cache).toBeNull();
    const other = await chat(await t.user(), question("Only mine"));
    expect(other.cache).toBe("miss");
    expect(upstreamChats()).toBe(before + 2);
  });

  test("temperature above 0 is not cached unless asked with x-lodge-cache: on", async () => {
    const user = await t.user();
    const warm = { ...question("Be creative"), temperature: 0.8 };
    const before = upstreamChats();
    expect((await chat(user, warm)).cache).toBeNull();
    expect((await chat(user, warm)).cache).toBeNull();
    expect(upstreamChats()).toBe(before + 2);
    expect(await t.cachedAnswers(user.id)).toEqual([]);
    expect((await chat(user, warm, { "x-lodge-cache": "on" })).cache).toBe("miss");
    await cachedFor(user, 1);
    expect((await chat(user, warm, { "x-lodge-cache": "on" })).cache).toBe("hit");
    expect(upstreamChats()).toBe(before + 3);
  });

  test("a hit is in /ai/usage as a cached request that cost nothing", async () => {
    const user = await t.user();
    await chat(user, question("Bill me once"));
    await cachedFor(user, 1);
    await chat(user, question("Bill me once"));
    const rows = await eventually(async () => {
      const found = await t.db.select().from(usage).where(eq(usage.userId, user.id));
      return found.length === 2 && found;
    });
    const [live, hit] = [rows.find((row) => !row.cached), rows.find((row) => row.cached)];
    expect(live?.costUsd).toBeGreaterThan(0);
    expect(hit).toMatchObject({ costUsd: 0, provider: null, deployment: null, inputTokens: live?.inputTokens, outputTokens: live?.outputTokens });
    // The clock stands still, and `to` is exclusive: the report runs to a second past now.
    const to = new Date(t.clock.now().getTime() + 1000).toISOString();
    const report = await t.call("GET", `/ai/usage?to=${to}`, { token: user.token });
    expect(report.json.total).toMatchObject({ requests: 2, cachedRequests: 1, costUsd: live?.costUsd });
  });
});

describe("a streamed call", () => {
  test("a second identical stream replays the first one's chunks, without an upstream request; usage only when asked", async () => {
    const user = await t.user();
    const body = { ...question("Stream it"), stream: true as const };
    const from = t.settled.length;
    const first = await stream(user, body);
    expect(first.cache).toBe("miss");
    await cachedFor(user, 1);
    const before = upstreamChats();
    const replayed = await stream(user, body);
    expect(replayed.cache).toBe("hit");
    expect(replayed.chunks).toEqual(first.chunks);
    expect(replayed.chunks.every((chunk) => !("usage" in chunk))).toBe(true);
    // The caller asking for usage shares the entry, and gets the usage chunk the upstream gave.
    const withUsage = await stream(user, { ...body, stream_options: { include_usage: true } });
    expect(withUsage.cache).toBe("hit");
    expect(withUsage.chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: expect.any(Number) } });
    expect(withUsage.chunks.slice(0, -1).map((chunk) => chunk.choices)).toEqual(first.chunks.map((chunk) => chunk.choices));
    expect(upstreamChats()).toBe(before);
    const hit = await t.settledCall(from + 3);
    expect(hit).toMatchObject({ cached: true, pricing: null, tokensFrom: "upstream" });
  });

  test("a stream the upstream cut is never stored: the same call again goes upstream", async () => {
    const user = await t.user();
    const body = { ...question("Cut me off"), stream: true as const };
    t.fake.script("gpt-4o-mini", { cutAfterChunks: 2 });
    const from = t.settled.length;
    const cut = await t
      .sdk(user.token)
      .chat.completions.create(body)
      .then(async (chunks) => {
        for await (const _ of chunks);
      })
      .catch((error: unknown) => error);
    expect(cut).toBeInstanceOf(Error);
    expect((await t.settledCall(from + 1)).status).toBe("error");
    const before = upstreamChats();
    const again = await stream(user, body);
    expect(again.cache).toBe("miss");
    expect(upstreamChats()).toBe(before + 1);
  });
});

describe("embeddings", () => {
  test("cached when asked with x-lodge-cache: on", async () => {
    const user = await t.user();
    const embed = (headers: Record<string, string>) =>
      t.sdk(user.token).embeddings.create({ model: "embed", input: "a lodge", encoding_format: "float" }, { headers }).withResponse();
    const sent = () => t.fake.sentFor("text-embedding-3-small", "/v1/embeddings").length;
    expect((await embed({})).response.headers.get("x-lodge-cache")).toBeNull();
    const first = await embed({ "x-lodge-cache": "on" });
    expect(first.response.headers.get("x-lodge-cache")).toBe("miss");
    await cachedFor(user, 1);
    const before = sent();
    const second = await embed({ "x-lodge-cache": "on" });
    expect(second.response.headers.get("x-lodge-cache")).toBe("hit");
    expect(second.data).toEqual(first.data);
    expect(sent()).toBe(before);
  });
});
