import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectRedis } from "@lodge/kit";
import { testRedisUrl } from "@lodge/kit/testing";
import type { AiDeps } from "../src/deps";
import type { Caller } from "../src/helpers/calls";
import { type CachedAnswer, cacheKeyOf, dropCachedOf, readCached, storeCached } from "../src/helpers/response-cache";
import { completionOf, startTestAi, type TestAi } from "./harness";

/** The exact-match response cache, against the service's real Redis. */
let t: TestAi;
beforeAll(async () => {
  t = await startTestAi({ jobs: false, env: { AI_CACHE_TTL_SECONDS: "600", AI_CACHE_MAX_ENTRY_BYTES: "4096" } });
});
afterAll(() => t.close());

const caller = (userId: string = Bun.randomUUIDv7()): Caller => ({ userId, keyId: null, clientId: null, admin: false });
const headers = (values: Record<string, string> = {}) => new Headers(values);
const chat = { model: "gpt-test", messages: [{ role: "user", content: "What is a lodge?" }], temperature: 0 };

describe("cacheKeyOf: which calls are cached, and under what key", () => {
  test("temperature 0 or x-lodge-cache: on; never with x-lodge-cache: off", () => {
    const alice = caller();
    expect(cacheKeyOf(alice, "chat", chat, headers())).toStartWith(`${alice.userId}:`);
    expect(cacheKeyOf(alice, "chat", { ...chat, temperature: 0.7 }, headers())).toBeNull();
    expect(cacheKeyOf(alice, "chat", { model: "gpt-test", messages: chat.messages }, headers())).toBeNull();
    expect(cacheKeyOf(alice, "chat", { ...chat, temperature: 1 }, headers({ "x-lodge-cache": "on" }))).not.toBeNull();
    expect(cacheKeyOf(alice, "embeddings", { model: "emb", input: "x" }, headers({ "x-lodge-cache": "ON" }))).not.toBeNull();
    expect(cacheKeyOf(alice, "chat", chat, headers({ "x-lodge-cache": "off" }))).toBeNull();
    expect(cacheKeyOf(alice, "chat", { ...chat, temperature: "0" }, headers())).toBeNull();
  });

  test("the same request is the same key whatever its key order, user field or stream options", () => {
    const alice = caller();
    const key = cacheKeyOf(alice, "chat", chat, headers());
    const reordered = { temperature: 0, messages: [{ content: "What is a lodge?", role: "user" }], model: "gpt-test" };
    expect(cacheKeyOf(alice, "chat", reordered, headers())).toBe(key);
    expect(cacheKeyOf(alice, "chat", { ...chat, user: "end-user-42" }, headers())).toBe(key);
    expect(cacheKeyOf(alice, "chat", { ...chat, stream: false, stream_options: { include_usage: true } }, headers())).toBe(key);
  });

  test("anything that changes the answer changes the key: the user, the kind, streaming, the request", () => {
    const alice = caller();
    const key = cacheKeyOf(alice, "chat", chat, headers());
    const others = [
      cacheKeyOf(caller(), "chat", chat, headers()),
      cacheKeyOf(alice, "images", chat, headers()),
      cacheKeyOf(alice, "chat", { ...chat, stream: true }, headers()),
      cacheKeyOf(alice, "chat", { ...chat, model: "gpt-other" }, headers()),
      cacheKeyOf(alice, "chat", { ...chat, messages: [{ role: "user", content: "What is a lodge!" }] }, headers()),
      cacheKeyOf(alice, "chat", { ...chat, max_tokens: 5 }, headers()),
      cacheKeyOf(alice, "chat", { ...chat, tools: [{ type: "function", function: { name: "f" } }] }, headers()),
    ];
    expect(new Set([key, ...others]).size).toBe(others.length + 1);
  });
});

describe("readCached and storeCached", () => {
  test("a non-streamed answer and a stream's chunks come back as stored, for AI_CACHE_TTL_SECONDS", async () => {
    const alice = caller();
    const answerKey = cacheKeyOf(alice, "chat", chat, headers()) as string;
    const streamKey = cacheKeyOf(alice, "chat", { ...chat, stream: true }, headers()) as string;
    expect(await readCached(t.deps, answerKey)).toBeNull();
    const answer: CachedAnswer = { type: "json", body: completionOf("A lodge is a house in the woods.") };
    const chunks: CachedAnswer = {
      type: "stream",
      chunks: [
        { id: "c", object: "chat.completion.chunk", choices: [{ index: 0, delta: { role: "assistant", content: "A lodge" } }] },
        { id: "c", object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
        { id: "c", object: "chat.completion.chunk", choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } },
      ],
    };
    expect(await storeCached(t.deps, answerKey, answer)).toBe(true);
    expect(await storeCached(t.deps, streamKey, { type: "stream", chunks: chunks.chunks.map((chunk) => ({ chunk })) })).toBe(true);
    expect(await readCached(t.deps, answerKey)).toEqual(answer);
    expect(await readCached(t.deps, streamKey)).toEqual(chunks);
    const ttl = await t.redis.ttl(`${t.prefix}ai:cache:${answerKey}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
    // Another user asking the same is a miss.
    expect(await readCached(t.deps, cacheKeyOf(caller(), "chat", chat, headers()) as string)).toBeNull();
  });

  test("an answer kept with the upstream's text is stored as that text, and reads back as the answer", async () => {
    const alice = caller();
    const answerKey = cacheKeyOf(alice, "chat", chat, headers()) as string;
    const streamKey = cacheKeyOf(alice, "chat", { ...chat, stream: true }, headers()) as string;
    const text = '{ "object": "chat.completion",  "choices": [], "id": "c-1" }';
    const chunkTexts = ['{"id":"c","choices":[{"index":0,"delta":{"content":"A"}}]}', '{ "id": "c", "choices": [] , "usage": {"prompt_tokens": 1} }'];
    expect(await storeCached(t.deps, answerKey, { type: "json", body: JSON.parse(text), text })).toBe(true);
    const chunks = chunkTexts.map((chunkText) => ({ chunk: JSON.parse(chunkText), text: chunkText }));
    expect(await storeCached(t.deps, streamKey, { type: "stream", chunks })).toBe(true);
    expect(await t.redis.get(`${t.prefix}ai:cache:${answerKey}`)).toBe(`{"type":"json","body":${text}}`);
    expect(await readCached(t.deps, answerKey)).toEqual({ type: "json", body: JSON.parse(text) });
    expect(await readCached(t.deps, streamKey)).toEqual({ type: "stream", chunks: chunkTexts.map((chunkText) => JSON.parse(chunkText)) });
  });

  test("an answer over AI_CACHE_MAX_ENTRY_BYTES is not stored", async () => {
    const key = cacheKeyOf(caller(), "chat", chat, headers()) as string;
    expect(await storeCached(t.deps, key, { type: "json", body: completionOf("x".repeat(5000)) })).toBe(false);
    expect(await readCached(t.deps, key)).toBeNull();
  });

  test("with AI_CACHE_TTL_SECONDS=0 nothing is stored or read", async () => {
    const off: AiDeps = { ...t.deps, env: { ...t.deps.env, AI_CACHE_TTL_SECONDS: 0 } };
    const key = cacheKeyOf(caller(), "chat", chat, headers()) as string;
    expect(await storeCached(off, key, { type: "json", body: completionOf("off") })).toBe(false);
    expect(await storeCached(t.deps, key, { type: "json", body: completionOf("on") })).toBe(true);
    expect(await readCached(off, key)).toBeNull();
  });

  test("Redis not answering is a miss and an answer not stored, never an error", async () => {
    const closed = await connectRedis(testRedisUrl);
    closed.disconnect();
    const down: AiDeps = { ...t.deps, redis: closed };
    const key = cacheKeyOf(caller(), "chat", chat, headers()) as string;
    expect(await storeCached(down, key, { type: "json", body: completionOf("lost") })).toBe(false);
    expect(await readCached(down, key)).toBeNull();
  });

  test("dropCachedOf removes one user's entries and no one else's", async () => {
    const [bob, carol] = [caller(), caller()];
    const bobKeys = [cacheKeyOf(bob, "chat", chat, headers()), cacheKeyOf(bob, "chat", { ...chat, stream: true }, headers())] as string[];
    const carolKey = cacheKeyOf(carol, "chat", chat, headers()) as string;
    for (const key of [...bobKeys, carolKey]) await storeCached(t.deps, key, { type: "json", body: completionOf("kept?") });
    await dropCachedOf(t.deps, bob.userId);
    for (const key of bobKeys) expect(await readCached(t.deps, key)).toBeNull();
    expect(await readCached(t.deps, carolKey)).not.toBeNull();
  });
});
