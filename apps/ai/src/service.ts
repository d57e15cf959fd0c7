import { aiOutbox } from "@lodge/db/schema";
import { connectToServices, defineService, Gauge, type ServiceBase, type StartOptions, startService } from "@lodge/kit";
import type { AiDeps, RunCall, Sleep } from "./deps";
import { type AiEnv, aiEnv } from "./env";
import { consumers } from "./events/index";
import { createAccounting } from "./helpers/accounting";
import { createBreakers } from "./helpers/breakers";
import { renderOpenAiError } from "./helpers/openai-errors";
import { loadRegistry } from "./helpers/registry";
import { boundTokenizerMemory } from "./helpers/tokens";
import { createAiJobQueue } from "./jobs/ai-job";
import { jobs } from "./jobs/index";
import { adminRoutes } from "./routes/admin/index";
import { exportRoutes } from "./routes/export/index";
import { jobRoutes } from "./routes/jobs/index";
import { keyRoutes } from "./routes/keys/index";
import { usageRoutes } from "./routes/usage/index";
import { openAiRoutes } from "./routes/v1/index";
import { runCall } from "./services/run-call";

/** What a test may start the service with beyond the kit's start options. */
type AiStartExtras = {
  /** Instead of waiting out retry backoffs (a test's, recording what was asked). */
  sleep?: Sleep;
  /** Run this instance's usage writer (off in tests that look at what waits in the stream). */
  usageWriter?: boolean;
  /** How jobs run their request (a test's, to hold or fail a job at will; the gateway's call path otherwise). */
  runCall?: RunCall;
  /** Run the jobs worker (off in tests that look at queued jobs). */
  jobs?: boolean;
};

export type AiServiceOptions = StartOptions<AiEnv> & AiStartExtras;

export const aiService = defineService<AiEnv, AiDeps, AiStartExtras>({
  name: "ai",
  env: aiEnv,
  openApi: {
    prefix: "/ai",
    title: "Lodge AI",
    description: "An OpenAI-compatible gateway (/ai/v1) over the configured providers, with API keys, per-user limits, budgets, metering and async jobs.",
  },
  outbox: aiOutbox,
  tokens: "jwks",
  http: (env) => ({
    dialect: { prefix: "/ai/v1/", render: renderOpenAiError, bodyLimitBytes: env.AI_MAX_BODY_BYTES },
    cors: {
      exposeHeaders: [
        "x-ratelimit-limit-requests",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-reset-requests",
        "x-ratelimit-limit-tokens",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-tokens",
        "x-lodge-cache",
      ],
    },
  }),
  build: async (base, options) => {
    const { env } = options;
    const breakers = createBreakers({ clock: base.clock, failures: env.AI_BREAKER_FAILURES, openMs: env.AI_BREAKER_OPEN_MS });
    new Gauge({
      name: "ai_breaker_open",
      help: "1 while a deployment's circuit breaker is open (its calls go to the next deployment), by deployment",
      labelNames: ["deployment"] as const,
      registers: [base.metrics.registry],
      collect() {
        for (const id of breakers.ids()) this.set({ deployment: id }, breakers.isOpen(id) ? 1 : 0);
      },
    });
    boundTokenizerMemory();
    const accounting = createAccounting(base, env);
    if (options.usageWriter !== false) accounting.usageWriter.start();
    return {
      env,
      registry: await loadRegistry(env, base.logger, base.clock),
      breakers,
      sleep: options.sleep ?? sleep,
      accounting,
      runCall: options.runCall ?? runCall,
      aiJobs: createAiJobQueue(base.jobsConnection),
      files: connectToFiles(env, base),
    };
  },
  routes: (deps) => [openAiRoutes(deps), keyRoutes(deps), usageRoutes(deps), adminRoutes(deps), exportRoutes(deps), jobRoutes(deps)],
  consumers,
  jobs,
  close: async (deps) => {
    await deps.accounting.settled();
    await deps.accounting.usageWriter.stop();
    // The kit closes the queues of the jobs it ran; with the worker off, this one is still open.
    await deps.aiJobs.close();
  },
});

/** The file service, where generated images become the user's files; none without a client secret (the boot log says so). */
function connectToFiles(env: AiEnv, base: ServiceBase) {
  if (!env.AI_CLIENT_SECRET) {
    base.logger.info("AI_CLIENT_SECRET is unset: generated images are returned as the provider's URLs, not stored as the user's files");
    return null;
  }
  return connectToServices({
    urls: { auth: env.AUTH_URL, file: env.FILE_URL },
    client: { id: env.AI_CLIENT_ID, secret: env.AI_CLIENT_SECRET },
    timeoutMs: env.AI_IMAGE_FETCH_TIMEOUT_MS,
    logger: base.logger,
    clock: base.clock,
  });
}

/** Builds every dependency once and returns the app, its deps and a close(). */
export const startAiService = (options: AiServiceOptions) => startService(aiService, options);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
