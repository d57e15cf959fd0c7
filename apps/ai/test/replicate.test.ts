/**
 * The `replicate` provider, driven through the Provider interface against a local Replicate API
 * (fake-replicate.ts) through the official SDK: chat, streamed chat, images, waiting and polling,
 * cancelling on abort, failed predictions and Replicate's errors. The routes that use it are the
 * gateway's, tested there.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@lodge/kit";
import { eventually } from "@lodge/kit/testing";
import { createReplicateProvider } from "../src/providers/replicate";
import { type Json, type Provider, ProviderError, type ProviderRequest, type StreamChunk } from "../src/providers/types";
import { type FakeReplicate, startFakeReplicate } from "./fake-replicate";

let fake: FakeReplicate;
let provider: Provider;
const logger = createLogger({ service: "ai", level: process.env.TEST_LOG_LEVEL ?? "silent" });

beforeAll(async () => {
  fake = await startFakeReplicate();
  // Polls 1 ms apart: the fake answers each poll with the next state, so no test waits on time.
  provider = createReplicateProvider({ token: fake.token, baseUrl: fake.baseUrl, logger, pollIntervalMs: 1 });
});
afterAll(() => fake.stop());

let models = 0;
/** A model of its own for one test, scripted. */
function model(script: Parameters<FakeReplicate["model"]>[1]) {
  models += 1;
  const name = `lodge-test/model-${models}`;
  fake.model(name, script);
  return name;
}

const open = () => new AbortController().signal;
const requestsTo = (path: string) => fake.requests.filter((request) => request.path === path);
const predictionsOf = (name: string) => requestsTo(`/v1/models/${name}/predictions`);

/** The ProviderError a call fails with. */
async function failure(call: Promise<unknown>): Promise<ProviderError> {
  const error = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

/** A chat's answer (its JSON). */
const chatOf = async (request: ProviderRequest) => (await provider.chat(request)).body;

async function collect(stream: AsyncIterable<StreamChunk>): Promise<Json[]> {
  const chunks: Json[] = [];
  for await (const { chunk } of stream) chunks.push(chunk);
  return chunks;
}

/** The chunks a streamed chat of `model` gives before it fails, and its ProviderError. */
async function streamUntilFailure(model: string) {
  const chunks: Json[] = [];
  const reading = async () => {
    for await (const { chunk } of provider.chatStream({ body: { model, messages: [{ role: "user", content: "hi" }] }, signal: open() })) chunks.push(chunk);
  };
  return { chunks, error: await failure(reading()) };
}

const contentOf = (chunks: Json[]) =>
  chunks.map((chunk) => ((chunk.choices as { delta?: { content?: string } }[])[0]?.delta?.content ?? "") as string).join("");

describe("chat", () => {
  test("messages become the model's prompt and system prompt; the output pieces and token counts become a chat.completion", async () => {
    const name = model({ output: ["Hello", ", ", "world"], metrics: { input_token_count: 12, output_token_count: 3 } });
    const completion = await chatOf({
      body: {
        model: name,
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Say hello" },
        ],
        max_tokens: 100,
        temperature: 0.2,
        stop: ["\n\n", "END"],
        seed: 7,
      },
      signal: open(),
    });
    const [created] = predictionsOf(name);
    const id = fake.predictionIds().at(-1);
    expect(completion).toEqual({
      id: `chatcmpl-${id}`,
      object: "chat.completion",
      created: expect.any(Number),
      model: name,
      choices: [{ index: 0, message: { role: "assistant", content: "Hello, world", refusal: null }, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    });
    // One request: created with `Prefer: wait` and answered done.
    expect(fake.requests.filter((request) => request.path.includes(String(id)) || request.path.includes(name))).toHaveLength(1);
    expect(created).toMatchObject({ method: "POST", authorization: `Bearer ${fake.token}`, prefer: "wait=60" });
    expect(created?.body).toEqual({
      input: { prompt: "Say hello", system_prompt: "Be brief.", max_tokens: 100, temperature: 0.2, seed: 7, stop_sequences: "\n\n,END" },
    });
  });

  test("a conversation becomes a transcript, an image the `image` input; no metrics means no usage; the answer at max_tokens ends with length", async () => {
    const name = model({ output: "Four." });
    const completion = await chatOf({
      body: {
        model: name,
        messages: [
          { role: "user", content: "What is 2+2?" },
          { role: "assistant", content: "4" },
          {
            role: "user",
            content: [
              { type: "text", text: "And this?" },
              { type: "image_url", image_url: { url: "https://example.com/sum.png" } },
            ],
          },
        ],
      },
      signal: open(),
    });
    expect(predictionsOf(name)[0]?.body).toEqual({
      input: { prompt: "User: What is 2+2?\n\nAssistant: 4\n\nUser: And this?", image: "https://example.com/sum.png" },
    });
    expect(completion).not.toHaveProperty("usage");
    expect((completion.choices as Json[])[0]).toMatchObject({ message: { content: "Four." }, finish_reason: "stop" });

    const capped = model({ output: ["a", "b"], metrics: { input_token_count: 1, output_token_count: 2 } });
    const cut = await chatOf({ body: { model: capped, messages: [{ role: "user", content: "go" }], max_completion_tokens: 2 }, signal: open() });
    expect((cut.choices as Json[])[0]?.finish_reason).toBe("length");
    expect(predictionsOf(capped)[0]?.body).toEqual({ input: { prompt: "go", max_tokens: 2 } });
  });

  test("a prediction still running after the wait is polled until done (starting → processing → succeeded); a version is created at /v1/predictions", async () => {
    fake.model("0123abcdef", { polls: 3, output: ["slow ", "answer"], metrics: { input_token_count: 2, output_token_count: 2 } });
    const completion = await chatOf({ body: { model: "lodge-test/versioned:0123abcdef", messages: [{ role: "user", content: "hi" }] }, signal: open() });
    expect((completion.choices as Json[])[0]).toMatchObject({ message: { content: "slow answer" } });
    const id = fake.predictionIds().at(-1) as string;
    const created = fake.requests.findLast((request) => request.path === "/v1/predictions");
    expect(created?.body).toEqual({ version: "0123abcdef", input: { prompt: "hi" } });
    expect(requestsTo(`/v1/predictions/${id}`).map((request) => request.method)).toEqual(["GET", "GET", "GET", "GET"]);
    expect(fake.prediction(id)?.status).toBe("succeeded");
  });

  test("what Replicate's language models cannot do is refused as the caller's error before any prediction", async () => {
    const name = model({ output: "never" });
    for (const [field, value] of [
      ["tools", [{ type: "function", function: { name: "f", parameters: {} } }]],
      ["n", 2],
      ["response_format", { type: "json_object" }],
    ] as const) {
      const error = await failure(provider.chat({ body: { model: name, messages: [{ role: "user", content: "x" }], [field]: value }, signal: open() }));
      expect(error.options).toMatchObject({ status: 400, retryable: false, body: { type: "invalid_request_error", param: field } });
    }
    const empty = await failure(provider.chat({ body: { model: name, messages: [] }, signal: open() }));
    expect(empty.options.body).toMatchObject({ param: "messages" });
    const unnamed = await failure(provider.chat({ body: { model: "not a model", messages: [{ role: "user", content: "x" }] }, signal: open() }));
    expect(unnamed.options).toMatchObject({ status: null, retryable: false });
    expect(predictionsOf(name)).toEqual([]);
  });
});

describe("streamed chat", () => {
  test("the prediction's event stream becomes OpenAI chunks, then a finish chunk and a usage chunk", async () => {
    const name = model({ stream: true, output: ["Hel", "lo\nthere", "!"], metrics: { input_token_count: 4, output_token_count: 3 } });
    const chunks = await collect(provider.chatStream({ body: { model: name, messages: [{ role: "user", content: "hi" }], stream: true }, signal: open() }));
    const id = fake.predictionIds().at(-1);
    const base = { id: `chatcmpl-${id}`, object: "chat.completion.chunk", created: expect.any(Number), model: name };
    expect(chunks).toEqual([
      { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: "Hel" }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: "lo\nthere" }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: "!" }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }] },
      { ...base, choices: [], usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 } },
    ]);
    // Created without waiting: the stream URL is what it answers with at once.
    expect(predictionsOf(name)[0]?.prefer).toBeNull();
  });

  test("without a stream URL the whole answer comes as one chunk once the prediction is done", async () => {
    const name = model({ polls: 1, output: ["all ", "at once"] });
    const chunks = await collect(provider.chatStream({ body: { model: name, messages: [{ role: "user", content: "hi" }] }, signal: open() }));
    expect(contentOf(chunks)).toBe("all at once");
    expect(chunks.map((chunk) => (chunk.choices as Json[])[0]?.finish_reason)).toEqual([null, null, "stop"]);
  });

  test("a failed prediction ends the stream with a non-retryable error carrying the model's error", async () => {
    const name = model({ stream: true, status: "failed", error: "CUDA out of memory", output: ["par"] });
    const { chunks, error } = await streamUntilFailure(name);
    expect(contentOf(chunks)).toBe("par");
    expect(error.message).toContain("CUDA out of memory");
    expect(error.options).toMatchObject({ status: null, retryable: false });
  });

  test("a stream cut before `done` is an error, and the prediction is cancelled", async () => {
    const name = model({ stream: true, cutStream: true, output: ["half an ", "ans"] });
    const { chunks, error } = await streamUntilFailure(name);
    expect(contentOf(chunks)).toBe("half an ans");
    expect(error.message).toContain("cut");
    await fake.cancelled(fake.predictionIds().at(-1) as string);
  });
});

describe("cancelling on abort", () => {
  test("a call aborted while its prediction is polled fails at once and cancels the prediction", async () => {
    const name = model({ hold: true, polls: 1 });
    const controller = new AbortController();
    const call = provider.chat({ body: { model: name, messages: [{ role: "user", content: "think hard" }] }, signal: controller.signal });
    const id = await eventually(async () => {
      const last = fake.predictionIds().at(-1) as string;
      return fake.prediction(last)?.status === "processing" && last;
    });
    controller.abort(new Error("client disconnected"));
    const error = await failure(call);
    expect(error.message).toContain("aborted");
    await fake.cancelled(id);
    expect(fake.prediction(id)?.status).toBe("canceled");
  });

  test("a streamed call aborted mid-stream, or left by its reader, cancels the prediction", async () => {
    for (const leave of ["abort", "break"] as const) {
      const name = model({ stream: true, hold: true, output: ["first"] });
      const controller = new AbortController();
      const chunks: Json[] = [];
      const reading = (async () => {
        for await (const { chunk } of provider.chatStream({ body: { model: name, messages: [{ role: "user", content: "go" }] }, signal: controller.signal })) {
          chunks.push(chunk);
          if (contentOf(chunks) === "first") {
            if (leave === "break") break;
            controller.abort(new Error("client disconnected"));
          }
        }
      })();
      if (leave === "abort") expect((await failure(reading)).message).toContain("aborted");
      else await reading;
      const id = fake.predictionIds().at(-1) as string;
      await fake.cancelled(id);
      expect({ leave, status: fake.prediction(id)?.status }).toEqual({ leave, status: "canceled" });
    }
  });

  test("a call aborted while the create still waits (Prefer: wait) fails at once; the prediction is cancelled when the create answers", async () => {
    const name = model({ holdCreate: true, hold: true });
    const controller = new AbortController();
    const call = provider.chat({ body: { model: name, messages: [{ role: "user", content: "x" }] }, signal: controller.signal });
    await eventually(async () => predictionsOf(name).length === 1);
    controller.abort(new Error("timeout"));
    expect((await failure(call)).options).toMatchObject({ status: null, retryable: true });
    fake.release();
    const id = fake.predictionIds().at(-1) as string;
    await fake.cancelled(id);
    expect(fake.prediction(id)?.status).toBe("canceled");
  });

  test("an already aborted signal creates nothing", async () => {
    const name = model({ output: "x" });
    const controller = new AbortController();
    controller.abort();
    await failure(provider.chat({ body: { model: name, messages: [{ role: "user", content: "x" }] }, signal: controller.signal }));
    expect(predictionsOf(name)).toEqual([]);
  });
});

describe("Replicate's errors", () => {
  test("a failed prediction is not retryable and carries the model's error", async () => {
    const name = model({ polls: 1, status: "failed", error: "NSFW content detected" });
    const error = await failure(provider.chat({ body: { model: name, messages: [{ role: "user", content: "x" }] }, signal: open() }));
    expect(error.message).toBe("Replicate's prediction failed: NSFW content detected");
    expect(error.options).toEqual({ status: null, retryable: false });
  });

  test("429 is retryable with Replicate's retry-after, and reaches Replicate once (the SDK's immediate repeats are answered locally)", async () => {
    const name = model({ output: "x" });
    fake.failNext({ route: "create", status: 429, retryAfter: "3" });
    const error = await failure(provider.chat({ body: { model: name, messages: [{ role: "user", content: "x" }] }, signal: open() }));
    expect(error.options).toEqual({ status: 429, retryable: true, retryAfterMs: 3000 });
    expect(predictionsOf(name)).toHaveLength(1);
    // The next call goes through.
    expect(await chatOf({ body: { model: name, messages: [{ role: "user", content: "x" }] }, signal: open() })).toMatchObject({
      object: "chat.completion",
    });
  });

  test("5xx is retryable; a poll answered 5xx fails the call and cancels its prediction", async () => {
    const name = model({ polls: 2, output: "x" });
    fake.failNext({ route: "create", status: 500 });
    expect((await failure(provider.chat({ body: { model: name, messages: [{ role: "user", content: "x" }] }, signal: open() }))).options).toMatchObject({
      status: 500,
      retryable: true,
    });
    fake.failNext({ route: "get", status: 503 });
    const polled = await failure(provider.chat({ body: { model: name, messages: [{ role: "user", content: "x" }] }, signal: open() }));
    expect(polled.options).toMatchObject({ status: 503, retryable: true });
    const id = fake.predictionIds().at(-1) as string;
    expect(requestsTo(`/v1/predictions/${id}`)).toHaveLength(1);
    await fake.cancelled(id);
  });

  test("invalid input (422) is the caller's: a 400 in OpenAI's error body; a bad token is 401, not retryable, and never echoed", async () => {
    const name = model({ invalid: "prompt: String should have at most 2000 characters" });
    const invalid = await failure(provider.chat({ body: { model: name, messages: [{ role: "user", content: "x" }] }, signal: open() }));
    expect(invalid.options).toEqual({
      status: 400,
      retryable: false,
      body: { message: "prompt: String should have at most 2000 characters", type: "invalid_request_error", param: null, code: null },
    });
    const unknown = await failure(
      provider.chat({ body: { model: "lodge-test/nobody-scripted-this", messages: [{ role: "user", content: "x" }] }, signal: open() }),
    );
    expect(unknown.options).toMatchObject({ status: 404, retryable: false });

    const wrongToken = "r8_wrong_secret_token_42";
    const unauthorized = createReplicateProvider({ token: wrongToken, baseUrl: fake.baseUrl, logger, pollIntervalMs: 1 });
    const refused = await failure(unauthorized.chat({ body: { model: name, messages: [{ role: "user", content: "x" }] }, signal: open() }));
    expect(refused.options).toMatchObject({ status: 401, retryable: false });
    expect(JSON.stringify({ message: refused.message, options: refused.options })).not.toContain(wrongToken);
  });

  test("Replicate unreachable is a retryable network error", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const baseUrl = `http://127.0.0.1:${closed.port}/v1`;
    await closed.stop(true);
    const unreachable = createReplicateProvider({ token: fake.token, baseUrl, logger, pollIntervalMs: 1 });
    const error = await failure(unreachable.chat({ body: { model: "lodge-test/anything", messages: [{ role: "user", content: "x" }] }, signal: open() }));
    expect(error.options).toEqual({ status: null, retryable: true });
  });
});

describe("images, embeddings, models", () => {
  test("output URLs become OpenAI's images answer; n and size map to the model's inputs", async () => {
    const urls = ["https://replicate.delivery/fake/one.webp", "https://replicate.delivery/fake/two.webp"];
    const name = model({ polls: 1, output: urls });
    const answer = await provider.images({ body: { model: name, prompt: "a lodge in the snow", n: 2, size: "1792x1024" }, signal: open() });
    expect(answer).toEqual({ created: expect.any(Number), data: urls.map((url) => ({ url })) });
    expect(predictionsOf(name)[0]?.body).toEqual({ input: { prompt: "a lodge in the snow", num_outputs: 2, width: 1792, height: 1024, aspect_ratio: "7:4" } });

    const single = model({ output: "https://replicate.delivery/fake/single.png" });
    expect(await provider.images({ body: { model: single, prompt: "one" }, signal: open() })).toMatchObject({
      data: [{ url: "https://replicate.delivery/fake/single.png" }],
    });
    expect((await failure(provider.images({ body: { model: single, prompt: "" }, signal: open() }))).options).toMatchObject({ status: 400 });
    expect((await failure(provider.images({ body: { model: single, prompt: "x", response_format: "b64_json" }, signal: open() }))).options).toMatchObject({
      status: 400,
      body: { param: "response_format" },
    });
    const nothing = model({ output: null });
    expect((await failure(provider.images({ body: { model: nothing, prompt: "x" }, signal: open() }))).options).toEqual({ status: null, retryable: false });
  });

  test("embeddings are not served (400, a clear message); models are named in the registry, so none are listed", async () => {
    const error = await failure(provider.embeddings({ body: { model: "lodge-test/any", input: "x" }, signal: open() }));
    expect(error.options).toMatchObject({ status: 400, retryable: false, body: { param: "model" } });
    expect(error.message).toContain("do not serve embeddings");
    expect(await provider.models(open())).toEqual([]);
    expect(provider.name).toBe("replicate");
  });
});
