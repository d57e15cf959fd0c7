import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startTestAi, type TestAi, testRegistry } from "./harness";

/**
 * The acceptance test: the official `openai` SDK, unchanged, with its baseURL set to Lodge's
 * /ai/v1, over a registry of the fake upstream's models.
 */
let t: TestAi;
let client: OpenAI;

beforeAll(async () => {
  t = await startTestAi({ registry: testRegistry });
  client = t.sdk((await t.user()).token);
});
afterAll(() => t.close());

const hello = [{ role: "user" as const, content: "Hello there, gateway" }];

describe("the official SDK against /ai/v1", () => {
  test("a chat completion: the upstream's answer and usage, the upstream called with the deployment's model and its own key", async () => {
    const completion = await client.chat.completions.create({ model: "chat", messages: hello });
    expect(completion.choices[0]?.message.content).toBe("You said: Hello there, gateway");
    expect(completion._request_id).toMatch(/^[\w.:-]+$/);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    const sent = t.fake.sentFor("gpt-4o-mini").at(-1);
    expect(sent?.authorization).toBe(`Bearer ${t.fake.apiKey}`);
    expect(sent?.body.messages).toEqual(hello);
  });

  test("a streamed completion: the chunks in order ending the stream, no usage chunk unless asked", async () => {
    const { data: stream, response } = await client.chat.completions.create({ model: "chat", messages: hello, stream: true }).withResponse();
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("x-request-id")).toMatch(/^[\w.:-]+$/);
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe("You said: Hello there, gateway");
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.every((chunk) => !("usage" in chunk))).toBe(true);
    // The gateway asked the upstream for usage all the same.
    expect(t.fake.sentFor("gpt-4o-mini").at(-1)?.body.stream_options).toEqual({ include_usage: true });
  });

  test("a streamed completion with include_usage: the usage chunk is passed on, equal to the non-streamed usage", async () => {
    const whole = await client.chat.completions.create({ model: "chat", messages: hello });
    const stream = await client.chat.completions.create({ model: "chat", messages: hello, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual(whole.usage ?? undefined);
  });

  test("the upstream's JSON passes on as it was sent: the answer, and each chunk less the usage the gateway asked for", async () => {
    const { token } = await t.user();
    const post = (url: string, authorization: string, body: object) =>
      fetch(url, { method: "POST", headers: { authorization, "content-type": "application/json" }, body: JSON.stringify(body) }).then((reply) => reply.text());
    const viaLodge = (body: object) => post(`${t.url}/ai/v1/chat/completions`, `Bearer ${token}`, { ...body, model: "chat" });
    const direct = (body: object) => post(`${t.fake.url}/chat/completions`, `Bearer ${t.fake.apiKey}`, { ...body, model: "gpt-4o-mini" });
    const request = { messages: hello, temperature: 0.5 };
    expect(await viaLodge(request)).toBe(await direct(request));
    const streamed = { ...request, stream: true };
    const upstream = (await direct({ ...streamed, stream_options: { include_usage: true } })).split("\n\n");
    // The upstream's usage chunk (no choices) dropped, and the `"usage":null` of every other chunk cut off its text.
    const expected = upstream.filter((event) => !event.includes('"choices":[],')).map((event) => event.replace(',"usage":null}', "}"));
    expect((await viaLodge(streamed)).split("\n\n")).toEqual(expected);
    expect(expected.length).toBeGreaterThan(3);
  });

  test("embeddings, as the SDK asks for them (base64) and as floats", async () => {
    const embedded = await client.embeddings.create({ model: "embed", input: ["one", "two"] });
    expect(embedded.data).toHaveLength(2);
    expect(embedded.data[0]?.embedding).toHaveLength(8);
    const floats = await client.embeddings.create({ model: "embed", input: "one", encoding_format: "float" });
    // The same vector: base64 carries float32s, the JSON list the floats themselves.
    const [base64, float] = [embedded.data[0]?.embedding ?? [], floats.data[0]?.embedding ?? []];
    expect(float).toHaveLength(8);
    for (const [index, value] of float.entries()) expect(base64[index]).toBeCloseTo(value, 6);
  });

  test("models: every alias of the registry, with its price", async () => {
    const page = await client.models.list();
    expect(page.data.map((model) => model.id).sort()).toEqual(["chat", "draw", "embed"]);
    const chat = page.data.find((model) => model.id === "chat") as unknown as { priced: boolean; pricing: { input_per_1m: number } };
    expect(chat.priced).toBe(true);
    expect(chat.pricing.input_per_1m).toBe(0.15);
  });

  test("images", async () => {
    const made = await client.images.generate({ model: "draw", prompt: "a lodge in the snow", n: 2 });
    expect(made.data?.map((image) => image.url)).toEqual(["https://images.fake/0.png", "https://images.fake/1.png"]);
  });

  test("unknown fields pass through to the upstream", async () => {
    const tools = [{ type: "function" as const, function: { name: "lookup", parameters: { type: "object", properties: {} } } }];
    await client.chat.completions.create({
      model: "chat",
      messages: hello,
      tools,
      temperature: 0.2,
      response_format: { type: "json_object" },
      user: "u1",
      n: 1,
      stop: ["x"],
      ...{ lodge_future_field: { a: 1 } },
    } as never);
    const sent = t.fake.sentFor("gpt-4o-mini").at(-1)?.body;
    expect(sent).toMatchObject({
      tools,
      temperature: 0.2,
      response_format: { type: "json_object" },
      user: "u1",
      n: 1,
      stop: ["x"],
      lodge_future_field: { a: 1 },
      model: "gpt-4o-mini",
    });
  });
});

describe("each error class", () => {
  test("AuthenticationError: no token, a bad token", async () => {
    for (const apiKey of ["not-a-token", "lk_unknown"]) {
      const error = await t
        .sdk(apiKey)
        .models.list()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key" });
    }
  });

  test("BadRequestError: missing messages, wrong types, max_tokens above the limit", async () => {
    for (const body of [{ model: "chat" }, { model: "chat", messages: "hi" }, { model: "chat", messages: hello, max_tokens: 10_000_000 }]) {
      const error = await client.chat.completions.create(body as never).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    }
    const capped = (await client.chat.completions
      .create({ model: "chat", messages: hello, max_tokens: 10_000_000 })
      .catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.APIError>;
    expect(capped.param).toBe("max_tokens");
  });

  test("NotFoundError: an unknown model, with OpenAI's model_not_found", async () => {
    const error = (await client.chat.completions.create({ model: "no-such-model", messages: hello }).catch((caught: unknown) => caught)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.code).toBe("model_not_found");
    expect(error.param).toBe("model");
  });

  test("RateLimitError: the upstream's 429 on every deployment, every attempt; Retry-After passed on", async () => {
    const attempts = t.deps.env.AI_MAX_ATTEMPTS;
    t.fake.script("gpt-4o-mini", ...Array.from({ length: attempts }, () => ({ status: 429, retryAfter: "3" })));
    t.fake.script("local-llama", ...Array.from({ length: attempts }, () => ({ status: 429, retryAfter: "3" })));
    const error = (await client.chat.completions.create({ model: "chat", messages: hello }).catch((caught: unknown) => caught)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.code).toBe("rate_limit_exceeded");
    expect(error.headers?.get("retry-after")).toBe("3");
  });

  test("InternalServerError: a provider answering garbage is 502; its key never reaches the caller", async () => {
    const attempts = t.deps.env.AI_MAX_ATTEMPTS;
    t.fake.script("text-embedding-3-small", ...Array.from({ length: attempts }, () => ({ garbage: true as const })));
    const error = (await client.embeddings.create({ model: "embed", input: "x" }).catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error.status).toBe(502);
    expect(JSON.stringify(error.error)).not.toContain(t.fake.apiKey);
  });
});
