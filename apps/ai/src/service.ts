import { aiOutbox } from "@lodge/db/schema";
import { defineService, type StartOptions, startService } from "@lodge/kit";
import type { AiDeps } from "./deps";
import { type AiEnv, aiEnv } from "./env";
import { createAccounting } from "./helpers/accounting";
import { adminRoutes } from "./routes/admin/index";
import { keyRoutes } from "./routes/keys/index";
import { usageRoutes } from "./routes/usage/index";

/** What a test may start the service with beyond the kit's start options. */
type AiStartExtras = {
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
  build: async (base, options) => {
    const accounting = createAccounting(base, options.env);
    if (options.usageWriter !== false) accounting.usageWriter.start();
    return { env: options.env, accounting };
  },
  routes: (deps) => [keyRoutes(deps), usageRoutes(deps), adminRoutes(deps)],
  close: (deps) => deps.accounting.usageWriter.stop(),
});

/** Builds every dependency once and returns the app, its deps and a close(). */
export const startAiService = (options: AiServiceOptions) => startService(aiService, options);
