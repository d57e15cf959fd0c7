import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "@lodge/config";
import { createTestDatabase } from "@lodge/db/testing";
import { createLogger } from "@lodge/kit";
import { createTestClock, createTestRedis, eventually, call as request, startTestIssuer } from "@lodge/kit/testing";
import OpenAI from "openai";
import { aiEnv } from "../src/env";
import type { CallOutcome } from "../src/helpers/calls";
import type { RegistryFile } from "../src/helpers/registry";
import { startAiService } from "../src/service";
import { type FakeOpenAi, startFakeOpenAi } from "./fake-openai";

export type TestAi = Awaited<ReturnType<typeof startTestAi>>;
/** A settled call as the gateway logs it. */
export type Settled = CallOutcome & { call: string; model: string };

/**
 * The AI service in this process on a random port, with its own test database and Redis prefix,
 * tokens from a test issuer, and a fake OpenAI upstream. With `registry` the models come from that
 * registry file (its `openai` provider is the fake); without it, simple mode over the fake's list.
 * Retry backoffs are recorded (`waits`) instead of waited; every settled call is in `settled`.
 */
export async function startTestAi(options: { env?: Record<string, string>; registry?: RegistryFile; fake?: FakeOpenAi } = {}) {
  const fake = options.fake ?? startFakeOpenAi();
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  const clock = createTestClock();
  const issuer = await startTestIssuer({ clock: clock.now });
  const folder = await mkdtemp(join(tmpdir(), "lodge-ai-"));
  const registryFile = join(folder, "registry.json");
  if (options.registry) await writeFile(registryFile, JSON.stringify(options.registry));
  const env = parseEnv(aiEnv, {
    DATABASE_URL: database.url,
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_PREFIX: prefix,
    JWKS_URL: issuer.jwksUrl,
    LOG_LEVEL: "debug",
    OPENAI_API_KEY: fake.apiKey,
    OPENAI_BASE_URL: fake.url,
    AI_MAX_BODY_BYTES: "65536",
    ...(options.registry ? { AI_REGISTRY_FILE: registryFile } : {}),
    ...options.env,
  });
  const settled: Settled[] = [];
  const logLines: Record<string, unknown>[] = [];
  const destination = {
    write(line: string) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logLines.push(entry);
      if (entry.msg === "ai call settled") settled.push(entry as unknown as Settled);
    },
  };
  const waits: number[] = [];
  const service = await startAiService({
    env,
    database,
    redis,
    clock: clock.now,
    logger: createLogger({ service: "ai", level: "debug", destination }),
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: service.app.fetch, idleTimeout: 0 });
  const url = `http://127.0.0.1:${server.port}`;

  return {
    url,
    fake,
    issuer,
    deps: service.deps,
    settled,
    logLines,
    waits,
    advance: clock.advance,
    user: () => issuer.user(),
    call: (method: string, path: string, callOptions?: Parameters<typeof request>[3]) => request(url, method, path, callOptions),
    /** The official OpenAI SDK, unchanged, pointed at this service with `token` as its API key. */
    sdk: (token: string) => new OpenAI({ apiKey: token, baseURL: `${url}/ai/v1`, maxRetries: 0 }),
    /** The settled call of `requestId` (ours or the SDK's), once it is settled. */
    settledCall: (count: number) => eventually(() => settled.length >= count && settled[count - 1]),
    close: async () => {
      await server.stop(true);
      await service.close();
      await issuer.stop();
      if (!options.fake) fake.stop();
      await database.drop();
      await cleanup();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** A registry of the fake's models: `chat` served by `gpt-4o-mini` with `local-llama` as its fallback, plus embeddings and images. */
export const testRegistry: RegistryFile = {
  providers: {},
  models: {
    chat: [
      { provider: "openai", model: "gpt-4o-mini", inputPricePer1M: 0.15, outputPricePer1M: 0.6 },
      { provider: "openai", model: "local-llama", inputPricePer1M: 0, outputPricePer1M: 0 },
    ],
    embed: [{ provider: "openai", model: "text-embedding-3-small", inputPricePer1M: 0.02, outputPricePer1M: 0 }],
    draw: [{ provider: "openai", model: "dall-e-3", inputPricePer1M: 0, outputPricePer1M: 0 }],
  },
};
