import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "@lodge/config";
import { createTestDatabase } from "@lodge/db/testing";
import { type ApiError, createLogger, toApiError } from "@lodge/kit";
import { createManualClock, createTestRedis, eventually, readStream, call as request, startTestIssuer } from "@lodge/kit/testing";
import OpenAI from "openai";
import type { RunCall } from "../src/deps";
import { aiEnv } from "../src/env";
import type { Caller, CallOutcome, CallPlan, Pricing } from "../src/helpers/calls";
import type { RegistryFile } from "../src/helpers/registry";
import { type AiServiceOptions, startAiService } from "../src/service";
import { runCall as gatewayRunCall } from "../src/services/run-call";
import { type FakeOpenAi, startFakeOpenAi } from "./fake-openai";
import { startFileServices } from "./file-service";

export type TestAi = Awaited<ReturnType<typeof startTestAi>>;
/** A settled call as the gateway logs it. */
export type Settled = CallOutcome & { call: string; model: string };

type StartOptions = {
  env?: Record<string, string>;
  /** The models from this registry file (its `openai` provider is the fake); without it, simple mode over the fake's list. */
  registry?: RegistryFile;
  /** A fake upstream the test made (and stops) itself. */
  fake?: FakeOpenAi;
  /** Where the clock stands (10:00:00 UTC on 2026-03-10 unless given). */
  start?: string;
  /** Start the real auth and file services beside it (and set AI_CLIENT_SECRET): generated images become the user's files. */
  fileServices?: boolean;
} & Pick<AiServiceOptions, "usageWriter" | "jobs">;

/**
 * The AI service in this process on a random port, with its own test database and Redis prefix,
 * tokens from a test issuer, a fake OpenAI upstream and a clock that moves only when told.
 * Retry backoffs are recorded (`waits`) instead of waited; every settled call is in `settled`.
 * `anotherInstance` starts a second one on the same database and Redis (as behind Caddy).
 * Jobs run their request with `runCall`, the gateway's call path unless a test sets its own (a
 * fixed answer, a failure, a call held until released); each is recorded in `runCalls`.
 */
export async function startTestAi(options: StartOptions = {}) {
  const fake = options.fake ?? startFakeOpenAi();
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  const clock = createManualClock(options.start ?? "2026-03-10T10:00:00.000Z");
  const issuer = await startTestIssuer({ clock: clock.now });
  const folder = await mkdtemp(join(tmpdir(), "lodge-ai-"));
  const registryFile = join(folder, "registry.json");
  if (options.registry) await writeFile(registryFile, JSON.stringify(options.registry));
  const fileServices = options.fileServices ? await startFileServices({ database, redis, prefix }) : null;
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
    ...fileServices?.env,
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
  const running: { close: () => Promise<void> }[] = [];
  const runCalls: { kind: string; request: Record<string, unknown>; userId: string }[] = [];
  const jobCalls: { runCall: RunCall } = { runCall: gatewayRunCall };
  const runCall: RunCall = (ctx, caller, kind, body) => {
    runCalls.push({ kind, request: body, userId: caller.userId });
    return jobCalls.runCall(ctx, caller, kind, body);
  };

  /**
   * An instance of the service on this database, Redis prefix and clock, served on a random port;
   * `ownRedis`: with a Redis connection of its own, as another process has; `redis`: this one (through a proxy a test cuts).
   */
  async function startInstance(instance: Pick<AiServiceOptions, "usageWriter" | "redis" | "jobs"> & { ownRedis?: boolean } = {}) {
    const service = await startAiService({
      env,
      database,
      ...(instance.ownRedis ? {} : { redis: instance.redis ?? redis }),
      clock: clock.now,
      logger: createLogger({ service: "ai", level: "debug", destination }),
      usageWriter: instance.usageWriter,
      jobs: instance.jobs,
      runCall,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: service.app.fetch, idleTimeout: 0 });
    const close = async () => {
      await server.stop(true);
      await service.close();
    };
    running.push({ close });
    const url = `http://127.0.0.1:${server.port}`;
    return {
      url,
      service,
      deps: service.deps,
      /** What admit is called with, as the gateway's routes call it. */
      ctx: { deps: service.deps, logger: service.deps.logger },
      call: (method: string, path: string, callOptions?: Parameters<typeof request>[3]) => request(url, method, path, callOptions),
      /** The official OpenAI SDK, unchanged, pointed at this instance with `token` as its API key. */
      sdk: (token: string) => new OpenAI({ apiKey: token, baseURL: `${url}/ai/v1`, maxRetries: 0 }),
      close,
    };
  }

  const main = await startInstance({ usageWriter: options.usageWriter, jobs: options.jobs });

  /** A job once it has ended (any status but queued and running). */
  const jobEnded = (token: string, jobId: string) =>
    eventually(async () => {
      const reply = await main.call("GET", `/ai/jobs/${jobId}`, { token });
      return reply.json.status !== "queued" && reply.json.status !== "running" && reply.json;
    }, 20_000);
  /** The `ai.job_completed` of a job, once the outbox has published it. */
  const jobCompleted = (jobId: string) =>
    eventually(async () => (await readStream(redis, prefix, "ai.job_completed")).find((event) => event.data.jobId === jobId));

  return {
    ...main,
    env,
    fake,
    startInstance,
    anotherInstance: () => startInstance({ usageWriter: false, ownRedis: true }),
    issuer,
    db: database.db,
    redis,
    prefix,
    clock,
    settled,
    logLines,
    waits,
    advance: clock.advance,
    user: () => issuer.user(),
    /** The keys of a user's answers in the response cache. */
    cachedAnswers: (userId: string) => redis.keys(`${prefix}ai:cache:${userId}:*`),
    /** The `count`th settled call, once it is settled. */
    settledCall: (count: number) => eventually(() => settled.length >= count && settled[count - 1]),
    /** What jobs' requests were run with (kind, request, user), in order. */
    runCalls,
    /** How jobs run their request: the gateway's call path unless a test sets its own. */
    get runCall(): RunCall {
      return jobCalls.runCall;
    },
    set runCall(value: RunCall) {
      jobCalls.runCall = value;
    },
    /** Submits a job as `token`; resolves with the reply. */
    submitJob: (token: string, body: unknown, headers: Record<string, string> = {}) => main.call("POST", "/ai/jobs", { token, body, headers }),
    jobEnded,
    jobCompleted,
    close: async () => {
      for (const instance of running.reverse()) await instance.close();
      await fileServices?.close();
      await issuer.stop();
      if (!options.fake) fake.stop();
      await database.drop();
      await cleanup();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

export type TestInstance = Awaited<ReturnType<TestAi["startInstance"]>>;

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
/** $1 per token in and out: budgets in whole dollars are whole tokens. */
export const dollarPerToken: Pricing = { inputPer1M: 1_000_000, outputPer1M: 1_000_000 };

/** A chat call's plan for `caller` (10 tokens in, at most 20 out, priced at nothing unless given). */
export function planFor(caller: Caller, overrides: Partial<CallPlan> = {}): CallPlan {
  return {
    caller,
    kind: "chat",
    model: "gpt-test",
    inputTokens: 10,
    maxOutputTokens: 20,
    stream: false,
    pricing: { inputPer1M: 0, outputPer1M: 0 },
    ...overrides,
  };
}

/** A call that went well, as the gateway reports it (tokens from the upstream's usage). */
export function outcomeOf(overrides: Partial<CallOutcome> = {}): CallOutcome {
  return {
    inputTokens: 10,
    outputTokens: 5,
    cachedTokens: 0,
    provider: "openai",
    deployment: "gpt-test-upstream",
    pricing: { inputPer1M: 0, outputPer1M: 0 },
    tokensFrom: "upstream",
    cached: false,
    status: "ok",
    httpStatus: 200,
    latencyMs: 120,
    firstTokenMs: 40,
    ...overrides,
  };
}

/** A user's own caller (no key, no client). */
export const userCaller = (userId: string = Bun.randomUUIDv7()): Caller => ({ userId, keyId: null, clientId: null, admin: false });

/** Admissions and refusals of calls admitted at once: what each admit gave (an Admission) or threw (an ApiError). */
export async function admitAll<T>(attempts: Promise<T>[]) {
  const settled = await Promise.allSettled(attempts);
  return {
    admitted: settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : [])),
    refused: settled.flatMap((result) => (result.status === "rejected" ? [result.reason as ApiError & { details: { limit: string } }] : [])),
  };
}

/** What an admit threw, as the service renders it (an admission is INTERNAL: the test expected a refusal). */
export async function refusalOf(attempt: Promise<unknown>): Promise<ApiError> {
  return toApiError(
    await attempt.then(
      () => new Error("admitted"),
      (error: unknown) => error,
    ),
  );
}

/** A chat completion as an upstream answers it. */
export function completionOf(content: string) {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "gpt-test",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  };
}

/** A chat job's body: `content` asked of the model `gpt-test`. */
export const chatJob = (content = "Hello") => ({ kind: "chat", request: { model: "gpt-test", messages: [{ role: "user", content }] } });
