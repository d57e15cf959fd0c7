import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "@lodge/kit/testing";
import { countTokens } from "gpt-tokenizer";
import OpenAI from "openai";
import { startTestAi, type TestAi, testRegistry } from "./harness";

/**
 * Routing over the fake upstream: retries and their waits, fallbacks, breakers on the service's
 * clock, timeouts, a caller going away, and what every call is settled with.
 */
const hello = [{ role: "user" as const, content: "Hello there, gateway" }];
type ApiErrorInstance = InstanceType<typeof OpenAI.APIError>;

describe("retries and fallbacks", () => {
  let t: TestAi;
  let client: OpenAI;
  beforeAll(async () => {
    t = await startTestAi({ registry: testRegistry, env: { AI_MAX_ATTEMPTS: "3" } });
    client = t.sdk((await t.user()).token);
  });
  afterAll(() => t.close());

  test("5xx on every attempt at the first deployment: retried with growing jittered backoffs, then the second deployment answers", async () => {
    t.fake.script("gpt-4o-mini", { status: 500 }, { status: 502 }, { status: 503 });
    const waitsBefore = t.waits.length;
    const settledBefore = t.settled.length;
    const completion = await client.chat.completions.create({ model: "chat", messages: hello });
    expect(completion.model).toBe("local-llama");
    const waits = t.waits.slice(waitsBefore);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeLessThanOrEqual(100);
    expect(waits[1]).toBeLessThanOrEqual(200);
    const settled = await t.settledCall(settledBefore + 1);
    expect(settled).toMatchObject({ deployment: "openai/local-llama", status: "ok", tokensFrom: "upstream", httpStatus: 200 });
  });

  test("a 429's retry-after is waited before the next attempt at the same deployment", async () => {
    t.fake.script("gpt-4o-mini", { status: 429, retryAfter: "2" });
    const waitsBefore = t.waits.length;
    const completion = await client.chat.completions.create({ model: "chat", messages: hello });
    expect(completion.model).toBe("gpt-4o-mini");
    expect(t.waits.slice(waitsBefore)).toEqual([2000]);
  });

  test("a retry-after longer than the gateway waits moves on to the next deployment at once", async () => {
    t.fake.script("gpt-4o-mini", { status: 429, retryAfter: "120" });
    const waitsBefore = t.waits.length;
    const completion = await client.chat.completions.create({ model: "chat", messages: hello });
    expect(completion.model).toBe("local-llama");
    expect(t.waits.slice(waitsBefore)).toEqual([]);
  });

  test("the upstream refusing the caller's request (400) is passed on at once, not retried", async () => {
    const before = t.fake.sentFor("gpt-4o-mini").length;
    t.fake.script("gpt-4o-mini", { status: 400, message: "Invalid value for temperature" });
    const error = (await client.chat.completions.create({ model: "chat", messages: hello }).catch((caught: unknown) => caught)) as ApiErrorInstance;
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toContain("Invalid value for temperature");
    expect(t.fake.sentFor("gpt-4o-mini").length - before).toBe(1);
    expect(t.fake.sentFor("local-llama").at(-1)?.body.messages).toEqual(hello);
  });

  test("every call is settled exactly once", async () => {
    const ids = t.settled.map((settled) => settled.call);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("circuit breakers", () => {
  let t: TestAi;
  let client: OpenAI;
  beforeAll(async () => {
    t = await startTestAi({ registry: testRegistry, env: { AI_MAX_ATTEMPTS: "1", AI_BREAKER_FAILURES: "2", AI_BREAKER_OPEN_MS: "30000" } });
    client = t.sdk((await t.user()).token);
  });
  afterAll(() => t.close());

  test("failures in a row open a deployment's breaker: calls skip it until the open time has passed on the service's clock, then one trial closes it", async () => {
    t.fake.script("gpt-4o-mini", { status: 500 }, { status: 500 });
    for (let call = 0; call < 2; call++) expect((await client.chat.completions.create({ model: "chat", messages: hello })).model).toBe("local-llama");
    const triedBefore = t.fake.sentFor("gpt-4o-mini").length;
    expect((await client.chat.completions.create({ model: "chat", messages: hello })).model).toBe("local-llama");
    expect(t.fake.sentFor("gpt-4o-mini").length).toBe(triedBefore);
    expect(await t.call("GET", "/metrics").then((reply) => reply.text)).toMatch(/ai_breaker_open\{deployment="openai\/gpt-4o-mini"[^}]*\} 1/);

    t.advance(30_000);
    expect((await client.chat.completions.create({ model: "chat", messages: hello })).model).toBe("gpt-4o-mini");
    expect((await client.chat.completions.create({ model: "chat", messages: hello })).model).toBe("gpt-4o-mini");
    expect(await t.call("GET", "/metrics").then((reply) => reply.text)).toMatch(/ai_breaker_open\{deployment="openai\/gpt-4o-mini"[^}]*\} 0/);
  });

  test("every deployment's breaker open: 503 with Retry-After until the first one lets a trial through", async () => {
    t.fake.script("text-embedding-3-small", { status: 500 }, { status: 500 });
    for (let call = 0; call < 2; call++) {
      const error = (await client.embeddings.create({ model: "embed", input: "x" }).catch((caught: unknown) => caught)) as ApiErrorInstance;
      expect(error.status).toBe(502);
    }
    t.advance(10_000);
    const error = (await client.embeddings.create({ model: "embed", input: "x" }).catch((caught: unknown) => caught)) as ApiErrorInstance;
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error.status).toBe(503);
    expect(error.headers?.get("retry-after")).toBe("20");
  });
});

describe("timeouts, cut streams and callers going away", () => {
  let t: TestAi;
  let client: OpenAI;
  let token: string;
  beforeAll(async () => {
    t = await startTestAi({ registry: testRegistry, env: { AI_MAX_ATTEMPTS: "1", AI_FIRST_TOKEN_TIMEOUT_MS: "300" } });
    token = (await t.user()).token;
    client = t.sdk(token);
  });
  afterAll(() => t.close());

  test("no first token within the timeout on any deployment: 504, and the upstream calls are aborted", async () => {
    t.fake.script("gpt-4o-mini", { delayMs: 60_000 });
    t.fake.script("local-llama", { delayMs: 60_000 });
    const error = (await client.chat.completions
      .create({ model: "chat", messages: hello, stream: true })
      .catch((caught: unknown) => caught)) as ApiErrorInstance;
    expect(error.status).toBe(504);
    expect(error.code).toBe("gateway_timeout");
    await eventually(() => t.fake.aborted.includes("gpt-4o-mini") && t.fake.aborted.includes("local-llama"));
  });

  test("a stream cut halfway: the caller gets an error event, the call is billed by the tokenizer from what was streamed", async () => {
    t.fake.script("gpt-4o-mini", { cutAfterChunks: 2 });
    const settledBefore = t.settled.length;
    const stream = await client.chat.completions.create({ model: "chat", messages: hello, stream: true });
    let text = "";
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(text).toBe("You said: ");
    const settled = await t.settledCall(settledBefore + 1);
    expect(settled).toMatchObject({ status: "error", tokensFrom: "tokenizer", outputTokens: countTokens("You said: "), deployment: "openai/gpt-4o-mini" });
    expect(settled.inputTokens).toBeGreaterThan(0);
  });

  test("an upstream that gives no usage in its stream: billed by the tokenizer's count of the answer", async () => {
    t.fake.script("gpt-4o-mini", { noUsage: true });
    const settledBefore = t.settled.length;
    const stream = await client.chat.completions.create({ model: "chat", messages: hello, stream: true });
    for await (const _ of stream);
    const settled = await t.settledCall(settledBefore + 1);
    expect(settled).toMatchObject({ status: "ok", tokensFrom: "tokenizer", outputTokens: countTokens("You said: Hello there, gateway") });
  });

  test("streamed and non-streamed calls of the same answer are billed the same tokens", async () => {
    const settledBefore = t.settled.length;
    await client.chat.completions.create({ model: "chat", messages: hello });
    for await (const _ of await client.chat.completions.create({ model: "chat", messages: hello, stream: true }));
    const whole = await t.settledCall(settledBefore + 1);
    const streamed = await t.settledCall(settledBefore + 2);
    expect(streamed.tokensFrom).toBe("upstream");
    expect([streamed.inputTokens, streamed.outputTokens]).toEqual([whole.inputTokens, whole.outputTokens]);
    expect(streamed.firstTokenMs).not.toBeNull();
  });

  test("a caller that goes away in the middle of a stream: the upstream stream is aborted, the call settled once as cancelled, billed for what was streamed", async () => {
    t.fake.script("gpt-4o-mini", { stallAfterChunks: 1 });
    const settledBefore = t.settled.length;
    const caller = new AbortController();
    const response = await fetch(`${t.url}/ai/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "chat", messages: hello, stream: true }),
      signal: caller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = "";
    while (!received.includes('"You "')) received += new TextDecoder().decode((await reader.read()).value);
    caller.abort();
    await eventually(() => t.fake.aborted.includes("gpt-4o-mini") && t.settled.length > settledBefore);
    const settled = await t.settledCall(settledBefore + 1);
    expect(settled).toMatchObject({ status: "cancelled", tokensFrom: "tokenizer", outputTokens: countTokens("You "), deployment: "openai/gpt-4o-mini" });
    expect(t.settled.filter((entry) => entry.call === settled.call)).toHaveLength(1);
  });

  for (const stream of [false, true]) {
    test(`a caller that goes away aborts the upstream call (${stream ? "streamed" : "in one piece"}) and the call is settled as cancelled`, async () => {
      t.fake.script("local-llama", { delayMs: 250 });
      t.fake.script("gpt-4o-mini", { delayMs: 60_000 });
      const settledBefore = t.settled.length;
      const sentBefore = t.fake.sentFor("gpt-4o-mini").length;
      const caller = new AbortController();
      const answer = fetch(`${t.url}/ai/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "chat", messages: hello, stream }),
        signal: caller.signal,
      }).catch(() => "aborted");
      await eventually(() => t.fake.sentFor("gpt-4o-mini").length > sentBefore);
      caller.abort();
      expect(await answer).toBe("aborted");
      await eventually(() => t.fake.aborted.filter((model) => model === "gpt-4o-mini").length > 0);
      const settled = await t.settledCall(settledBefore + 1);
      expect(settled.status).toBe("cancelled");
      // No fallback for a caller who is gone.
      expect(t.settled.length).toBe(settledBefore + 1);
    });
  }
});

describe("the total timeout", () => {
  let t: TestAi;
  beforeAll(async () => {
    t = await startTestAi({ registry: testRegistry, env: { AI_TOTAL_TIMEOUT_MS: "300" } });
  });
  afterAll(() => t.close());

  test("a call past the total timeout, retries included, is 504 and not tried again", async () => {
    t.fake.script("text-embedding-3-small", { delayMs: 60_000 }, { delayMs: 60_000 });
    const client = t.sdk((await t.user()).token);
    const error = (await client.embeddings.create({ model: "embed", input: "slow" }).catch((caught: unknown) => caught)) as ApiErrorInstance;
    expect(error.status).toBe(504);
    expect(t.fake.sentFor("text-embedding-3-small", "/v1/embeddings")).toHaveLength(1);
    await eventually(() => t.fake.aborted.includes("text-embedding-3-small"));
  });
});
