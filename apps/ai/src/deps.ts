import type { Ctx as KitCtx, ServiceBase, WithOutbox } from "@lodge/kit";
import type { AiEnv } from "./env";
import type { Accounting } from "./helpers/accounting";

/** What the kit builds for every service, plus the AI service's own (see service.ts); built once at boot. */
export type AiDeps = ServiceBase &
  WithOutbox & {
    env: AiEnv;
    /** Limits' caches, the usage writer and the metrics of callers' calls (helpers/accounting.ts). */
    accounting: Accounting;
  };

export type Ctx = KitCtx<AiDeps>;
