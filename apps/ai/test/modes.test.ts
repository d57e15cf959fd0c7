import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { startFakeOpenAi } from "./fake-openai";
import { startTestAi } from "./harness";

/** Where the models come from: a registry file (JSON or YAML, checked at boot), simple mode, or nothing configured. */
const hello = [{ role: "user" as const, content: "Hi" }];
const folder = await mkdtemp(join(tmpdir(), "lodge-ai-modes-"));
afterAll(() => rm(folder, { recursive: true, force: true }));

describe("simple mode (OPENAI_API_KEY, no registry file)", () => {
  test("every model the upstream lists, under its own name, priced from the built-in table; an unknown one costs 0 and says so", async () => {
    const t = await startTestAi();
    try {
      const client = t.sdk((await t.user()).token);
      const models = (await client.models.list()).data as unknown as {
        id: string;
        priced: boolean;
        pricing: { input_per_1m: number; output_per_1m: number } | null;
      }[];
      expect(models.map((model) => model.id).sort()).toEqual(["dall-e-3", "gpt-4o", "gpt-4o-mini", "local-llama", "text-embedding-3-small"]);
      expect(models.find((model) => model.id === "gpt-4o-mini")).toMatchObject({ priced: true, pricing: { input_per_1m: 0.15, output_per_1m: 0.6 } });
      expect(models.find((model) => model.id === "local-llama")).toMatchObject({ priced: false, pricing: null });
      expect((await client.chat.completions.create({ model: "gpt-4o", messages: hello })).choices[0]?.message.content).toBe("You said: Hi");
      expect(t.logLines.some((line) => String(line.msg).startsWith("ai models: simple mode"))).toBe(true);
    } finally {
      await t.close();
    }
  });

  test("an upstream that is down at boot: models answer 503, and once it is up the gateway serves it without a restart", async () => {
    const reserved = Bun.serve({ port: 0, fetch: () => new Response() });
    const port = reserved.port;
    reserved.stop(true);
    const t = await startTestAi({ env: { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` } });
    try {
      const client = t.sdk((await t.user()).token);
      const error = (await client.models.list().catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.APIError>;
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error.status).toBe(503);
      const chat = (await client.chat.completions.create({ model: "gpt-4o", messages: hello }).catch((caught: unknown) => caught)) as InstanceType<
        typeof OpenAI.APIError
      >;
      expect(chat.status).toBe(503);
      const upstream = startFakeOpenAi({ port });
      try {
        expect((await client.chat.completions.create({ model: "gpt-4o", messages: hello })).choices[0]?.message.content).toBe("You said: Hi");
      } finally {
        upstream.stop();
      }
    } finally {
      await t.close();
    }
  });
});

describe("nothing configured", () => {
  test("the service starts, lists no models, and calls answer 503 naming the variables to set", async () => {
    const t = await startTestAi({ env: { OPENAI_API_KEY: "" } });
    try {
      const client = t.sdk((await t.user()).token);
      expect((await client.models.list()).data).toEqual([]);
      const error = (await client.chat.completions.create({ model: "gpt-4o", messages: hello }).catch((caught: unknown) => caught)) as InstanceType<
        typeof OpenAI.APIError
      >;
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error.status).toBe(503);
      expect(error.message).toContain("AI_REGISTRY_FILE");
      expect(error.message).toContain("OPENAI_API_KEY");
      expect(t.logLines.some((line) => String(line.msg).startsWith("ai models: none"))).toBe(true);
    } finally {
      await t.close();
    }
  });
});

describe("a registry file", () => {
  test("YAML, with a provider of its own naming the variable that holds its key", async () => {
    const fake = startFakeOpenAi({ apiKey: "sk-second-upstream" });
    const path = join(folder, "registry.yaml");
    await writeFile(
      path,
      [
        "providers:",
        "  second:",
        "    type: openai",
        `    baseUrl: ${fake.url}`,
        "    apiKeyEnv: LODGE_TEST_SECOND_KEY",
        "models:",
        "  fast:",
        "    - provider: second",
        "      model: gpt-4o-mini",
        "      inputPricePer1M: 0.15",
        "      outputPricePer1M: 0.6",
        "      cachedInputPricePer1M: 0.075",
        "      maxOutputTokens: 1000",
      ].join("\n"),
    );
    process.env.LODGE_TEST_SECOND_KEY = "sk-second-upstream";
    const t = await startTestAi({ env: { AI_REGISTRY_FILE: path } });
    try {
      const client = t.sdk((await t.user()).token);
      const models = (await client.models.list()).data as unknown as { id: string; pricing: unknown }[];
      expect(models).toEqual([expect.objectContaining({ id: "fast", pricing: { input_per_1m: 0.15, output_per_1m: 0.6, cached_input_per_1m: 0.075 } })]);
      expect((await client.chat.completions.create({ model: "fast", messages: hello })).choices[0]?.message.content).toBe("You said: Hi");
      expect(fake.sentFor("gpt-4o-mini")).toHaveLength(1);
    } finally {
      delete process.env.LODGE_TEST_SECOND_KEY;
      await t.close();
      fake.stop();
    }
  });

  test("a wrong file stops the service at boot, saying what is wrong", async () => {
    const cases: [string, string][] = [
      [JSON.stringify({ models: { x: [{ provider: "openai", model: "m", inputPricePer1M: -1, outputPricePer1M: 0 }] } }), "inputPricePer1M"],
      [JSON.stringify({ models: { x: [] } }), "models.x"],
      [JSON.stringify({ models: { x: [{ provider: "nowhere", model: "m", inputPricePer1M: 0, outputPricePer1M: 0 }] } }), "nowhere"],
      [
        JSON.stringify({
          providers: { p: { type: "openai", apiKeyEnv: "LODGE_TEST_UNSET_KEY" } },
          models: { x: [{ provider: "p", model: "m", inputPricePer1M: 0, outputPricePer1M: 0 }] },
        }),
        "LODGE_TEST_UNSET_KEY",
      ],
      ["{ not json", "JSON"],
    ];
    for (const [text, mentioned] of cases) {
      const path = join(folder, "wrong.json");
      await writeFile(path, text);
      const failure = await startTestAi({ env: { AI_REGISTRY_FILE: path } }).then(
        async (started) => {
          await started.close();
          return "started";
        },
        (error: Error) => error.message,
      );
      expect(failure).toContain(mentioned);
    }
  });
});
