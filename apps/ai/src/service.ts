import { aiOutbox } from "@lodge/db/schema";
import { defineService, type StartOptions, startService } from "@lodge/kit";
import type { AiDeps } from "./deps";
import { type AiEnv, aiEnv } from "./env";
import { consumers } from "./events/index";
import { exportRoutes } from "./routes/export/index";

export type AiServiceOptions = StartOptions<AiEnv>;

export const aiService = defineService<AiEnv, AiDeps>({
  name: "ai",
  env: aiEnv,
  openApi: {
    prefix: "/ai",
    title: "Lodge AI",
    description: "An OpenAI-compatible gateway (/ai/v1) over the configured providers, with API keys, per-user limits, budgets, metering and async jobs.",
  },
  outbox: aiOutbox,
  tokens: "jwks",
  build: async (_base, options) => ({ env: options.env }),
  routes: (deps) => [exportRoutes(deps)],
  consumers,
});

/** Builds every dependency once and returns the app, its deps and a close(). */
export const startAiService = (options: AiServiceOptions) => startService(aiService, options);
