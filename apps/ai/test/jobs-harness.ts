import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAuthService } from "@lodge/auth";
import { authEnv } from "@lodge/auth/env";
import { parseEnv } from "@lodge/config";
import { createTestDatabase } from "@lodge/db/testing";
import { startFileService } from "@lodge/file";
import { fileEnv } from "@lodge/file/env";
import { createLogger } from "@lodge/kit";
import { createTestClock, createTestRedis, eventually, readStream, call as request, startTestIssuer } from "@lodge/kit/testing";
import type { RunCall } from "../src/deps";
import { aiEnv } from "../src/env";
import { type AiServiceOptions, startAiService } from "../src/service";

export type TestJobs = Awaited<ReturnType<typeof startTestJobs>>;

const AI_CLIENT_SECRET = "ai-service-test-secret-0123456789abcdef";

/** A 1×1 PNG: bytes the file service sniffs as an image. */
export const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

/**
 * The AI service in this process on a random port, its jobs run by a RunCall the test sets
 * (`t.runCall = ...`: a fixed answer, a failure, a slow call), with the real auth service (which
 * gives the AI service its client token) and the real file service (where generated images are
 * stored as the user's files) beside it, on one test database and Redis prefix. Users' tokens come
 * from a test issuer (no job test is about auth). `images` serves the provider's image URLs.
 * `fileStorage: false` starts the AI service without AI_CLIENT_SECRET (provider URLs kept).
 */
export async function startTestJobs(options: { env?: Record<string, string>; fileStorage?: boolean } & Pick<AiServiceOptions, "jobs"> = {}) {
  const database = await createTestDatabase();
  const { redis, prefix, cleanup } = await createTestRedis();
  const clock = createTestClock();
  const issuer = await startTestIssuer({ clock: clock.now });
  const logger = (service: string) => createLogger({ service, level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const common = { DATABASE_URL: database.url, REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: prefix, LOG_LEVEL: "silent" };

  const auth = await startAuthService({
    env: parseEnv(authEnv, { ...common, AUTH_COOKIE_SECURE: "false", AUTH_CLIENTS: `ai-service:${AI_CLIENT_SECRET}:files:write` }),
    database,
    redis,
    maintenance: false,
    logger: logger("auth"),
  });
  const authServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: auth.app.fetch });
  const authUrl = `http://127.0.0.1:${authServer.port}`;

  const directory = await mkdtemp(join(tmpdir(), "lodge-ai-files-"));
  const file = await startFileService({
    env: parseEnv(fileEnv, {
      ...common,
      JWKS_URL: `${authUrl}/.well-known/jwks.json`,
      FILE_STORAGE_DIR: directory,
      FILE_SIGNING_SECRET: "ai-test-signing-secret-0123456789abcdef",
      FILE_QUOTA_BYTES: "10000",
    }),
    database,
    redis,
    jobs: false,
    logger: logger("file"),
  });
  const fileServer = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: file.app.fetch });

  /** The provider's image host: /image.png is a PNG, /large is over AI_IMAGE_MAX_BYTES, /missing is 404. */
  const images = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/image.png") return new Response(png, { headers: { "content-type": "image/png" } });
      if (path === "/large") return new Response(new Uint8Array(64 * 1024));
      return new Response("not found", { status: 404 });
    },
  });
  const imagesUrl = `http://127.0.0.1:${images.port}`;

  const env = parseEnv(aiEnv, {
    ...common,
    JWKS_URL: issuer.jwksUrl,
    AUTH_URL: authUrl,
    FILE_URL: `http://127.0.0.1:${fileServer.port}`,
    ...(options.fileStorage === false ? {} : { AI_CLIENT_SECRET }),
    AI_IMAGE_ALLOWED_HOSTS: "127.0.0.1",
    AI_IMAGE_MAX_BYTES: "32768",
    ...options.env,
  });
  const calls: { kind: string; request: Record<string, unknown>; userId: string }[] = [];
  const state: { runCall: RunCall } = { runCall: async () => ({ answer: "unset" }) };
  /** What the gateway would do, as this test says, with every call recorded. */
  const runCall: RunCall = (ctx, caller, kind, body) => {
    calls.push({ kind, request: body, userId: caller.userId });
    return state.runCall(ctx, caller, kind, body);
  };
  const servers: { close: () => Promise<void> }[] = [];
  /** An instance of the AI service on this database, Redis and clock (a second one is another replica, or a restart). */
  async function startInstance(instance: Pick<AiServiceOptions, "jobs"> = {}) {
    const service = await startAiService({ env, database, redis, clock: clock.now, logger: logger("ai"), runCall, ...instance });
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: service.app.fetch });
    const url = `http://127.0.0.1:${server.port}`;
    const close = async () => {
      await server.stop(true);
      await service.close();
    };
    servers.push({ close });
    return {
      url,
      service,
      deps: service.deps,
      close,
      call: (method: string, path: string, callOptions?: Parameters<typeof request>[3]) => request(url, method, path, callOptions),
    };
  }
  const main = await startInstance({ jobs: options.jobs });

  /** The `ai.job_completed` of a job, once the outbox has published it. */
  const completion = (jobId: string) =>
    eventually(async () => (await readStream(redis, prefix, "ai.job_completed")).find((event) => event.data.jobId === jobId));

  /** Waits until a job's row says it is over (any status but queued and running). */
  const settled = (token: string, jobId: string) =>
    eventually(async () => {
      const reply = await main.call("GET", `/ai/jobs/${jobId}`, { token });
      return reply.json.status !== "queued" && reply.json.status !== "running" ? reply.json : undefined;
    }, 20_000);

  return {
    ...main,
    env,
    calls,
    /** What the gateway does with a job's request in this test. */
    get runCall(): RunCall {
      return state.runCall;
    },
    set runCall(value: RunCall) {
      state.runCall = value;
    },
    startInstance,
    issuer,
    db: database.db,
    redis,
    prefix,
    clock,
    imagesUrl,
    completion,
    settled,
    /** Submits a job as `token`; resolves with the reply. */
    submit: (token: string, body: unknown, headers: Record<string, string> = {}) => main.call("POST", "/ai/jobs", { token, body, headers }),
    close: async () => {
      for (const server of servers.reverse()) await server.close();
      await images.stop(true);
      await fileServer.stop(true);
      await file.close();
      await authServer.stop(true);
      await auth.close();
      await issuer.stop();
      await database.drop();
      await cleanup();
      await rm(directory, { recursive: true, force: true });
    },
  };
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

export const chatJob = (content = "Hello") => ({ kind: "chat", request: { model: "gpt-test", messages: [{ role: "user", content }] } });
