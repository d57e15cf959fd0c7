import { aiOutbox } from "@lodge/db/schema";
import { defineService, Gauge, type StartOptions, startService } from "@lodge/kit";
import type { AiDeps, Sleep } from "./deps";
import { type AiEnv, aiEnv } from "./env";
import { consumers } from "./events/index";
import { createAccounting } from "./helpers/accounting";
import { createBreakers } from "./helpers/breakers";
import { renderOpenAiError } from "./helpers/openai-errors";
import { loadRegistry } from "./helpers/registry";
import { adminRoutes } from "./routes/admin/index";
import { exportRoutes } from "./routes/export/index";
import { keyRoutes } from "./routes/keys/index";
import { usageRoutes } from "./routes/usage/index";
import { openAiRoutes } from "./routes/v1/index";

/** What a test may start the service with beyond the kit's start options. */
type AiStartExtras = {
  /** Instead of waiting out retry backoffs (a test's, recording what was asked). */
  sleep?: Sleep;
  /** Run this instance's usage writer (off in tests that look at what waits in the stream). */
  usageWriter?: boolean;
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
    const accounting = createAccounting(base, env);
    if (options.usageWriter !== false) accounting.usageWriter.start();
    return { env, registry: await loadRegistry(env, base.logger, base.clock), breakers, sleep: options.sleep ?? sleep, accounting };
  },
  routes: (deps) => [openAiRoutes(deps), keyRoutes(deps), usageRoutes(deps), adminRoutes(deps), exportRoutes(deps)],
  consumers,
  close: (deps) => deps.accounting.usageWriter.stop(),
});

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
