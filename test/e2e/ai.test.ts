/**
 * The AI gateway's acceptance through the production Caddyfile: a user registered at auth uses the
 * official `openai` SDK, unchanged, with its baseURL at Lodge's public /ai/v1, against a local fake
 * OpenAI upstream (simple mode): models, a chat, a stream that Caddy passes on chunk by chunk, and
 * OpenAI's error classes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type FakeOpenAi, startFakeOpenAi } from "@lodge/ai/testing";
import OpenAI from "openai";
import { call, type Stack, startStack } from "./stack";

let stack: Stack;
let fake: FakeOpenAi;
let client: OpenAI;

beforeAll(async () => {
  fake = startFakeOpenAi();
  stack = await startStack({ services: { ai: { OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: fake.url } } });
  const email = `ai-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const registered = await call(stack.url, "POST", "/auth/register", { body: { email, password: "a password for the gateway" } });
  expect(registered.status).toBe(201);
  client = new OpenAI({ apiKey: registered.json.accessToken, baseURL: `${stack.url}/ai/v1`, maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  fake?.stop();
});

const messages = [{ role: "user" as const, content: "Hello through Caddy" }];

describe("the official SDK through Caddy", () => {
  test("models, a chat and a stream", async () => {
    expect((await client.models.list()).data.map((model) => model.id)).toContain("gpt-4o-mini");
    const completion = await client.chat.completions.create({ model: "gpt-4o-mini", messages });
    expect(completion.choices[0]?.message.content).toBe("You said: Hello through Caddy");
    let text = "";
    for await (const chunk of await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true }))
      text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("You said: Hello through Caddy");
  });

  test("OpenAI's error classes", async () => {
    const unknown = await client.chat.completions.create({ model: "no-such-model", messages }).catch((caught: unknown) => caught);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    const anonymous = await new OpenAI({ apiKey: "not-a-token", baseURL: `${stack.url}/ai/v1`, maxRetries: 0 }).models
      .list()
      .catch((caught: unknown) => caught);
    expect(anonymous).toBeInstanceOf(OpenAI.AuthenticationError);
    fake.script("gpt-4o", ...Array.from({ length: 3 }, () => ({ status: 500 })));
    const failing = await client.chat.completions.create({ model: "gpt-4o", messages }).catch((caught: unknown) => caught);
    expect(failing).toBeInstanceOf(OpenAI.InternalServerError);
    expect((failing as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
  });
});
