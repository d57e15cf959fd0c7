import { aiOutbox } from "@lodge/db/schema";
import { connectToServices, defineService, type ServiceBase, type StartOptions, startService } from "@lodge/kit";
import type { AiDeps, RunCall } from "./deps";
import { type AiEnv, aiEnv } from "./env";
import { createAiJobQueue } from "./jobs/ai-job";
import { jobs } from "./jobs/index";
import { jobRoutes } from "./routes/jobs/index";

/** What a test may start the service with beyond the kit's start options. */
type AiStartExtras = {
  /** How jobs run their request (a test's own; the gateway's call path otherwise). */
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
  build: async (base, options) => ({
    env: options.env,
    runCall: options.runCall ?? noCallPath,
    aiJobs: createAiJobQueue(base.jobsConnection),
    files: connectToFiles(options.env, base),
  }),
  routes: (deps) => [jobRoutes(deps)],
  jobs,
  close: async (deps) => {
    // The kit closes the queues of the jobs it ran; with the worker off, this one is still open.
    await deps.aiJobs.close();
  },
});

// Until the gateway's call path is wired in here, a job's request has nowhere to go.
const noCallPath: RunCall = async () => {
  throw new Error("no call path: start the AI service with runCall");
};

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
