import type { Queue } from "@lodge/jobs";
import type { Ctx as KitCtx, RemoteServices, ServiceBase, WithOutbox } from "@lodge/kit";
import type { AiEnv } from "./env";
import type { Accounting } from "./helpers/accounting";
import type { Breakers } from "./helpers/breakers";
import type { Caller } from "./helpers/calls";
import type { Registry } from "./helpers/registry";
import type { AiJobData } from "./jobs/ai-job";
import type { Json } from "./providers/types";

/** Waits `ms` (a retry's backoff), or less when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** What the kit builds for every service, plus the AI service's own (see service.ts); built once at boot. */
export type AiDeps = ServiceBase &
  WithOutbox & {
    env: AiEnv;
    /** The models served and their deployments. */
    registry: Registry;
    /** This instance's per-deployment circuit breakers. */
    breakers: Breakers;
    sleep: Sleep;
    /** Limits' caches, the usage writer and the metrics of callers' calls (helpers/accounting.ts). */
    accounting: Accounting;
    /** How an async job's request is run: the gateway's call path, with the caller's limits and metering. */
    runCall: RunCall;
    /** Async jobs (POST /ai/jobs), run by the ai-jobs worker. */
    aiJobs: Queue<AiJobData>;
    /** The file service, where generated images are stored as the user's files; null without AI_CLIENT_SECRET (the provider's URLs are kept). */
    files: RemoteServices<"file"> | null;
  };

export type Ctx = KitCtx<AiDeps>;

/**
 * Runs one call as /ai/v1 runs it (admitted with the caller's limits and budgets, routed, metered)
 * and gives its answer in OpenAI's shape: a chat completion, or an images response. Throws
 * ApiError (limits, bad requests) or ProviderError as the call path does.
 */
export type RunCall = (ctx: Ctx, caller: Caller, kind: "chat" | "image", request: Json) => Promise<Json>;
