import type { Ctx as KitCtx, ServiceBase, WithOutbox } from "@lodge/kit";
import type { AiEnv } from "./env";
import type { Accounting } from "./helpers/accounting";
import type { Breakers } from "./helpers/breakers";
import type { Registry } from "./helpers/registry";

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
  };

export type Ctx = KitCtx<AiDeps>;
