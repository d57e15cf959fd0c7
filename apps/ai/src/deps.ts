import type { Ctx as KitCtx, ServiceBase, WithOutbox } from "@lodge/kit";
import type { AiEnv } from "./env";

/** What the kit builds for every service, plus the AI service's own (see service.ts); built once at boot. */
export type AiDeps = ServiceBase &
  WithOutbox & {
    env: AiEnv;
  };

export type Ctx = KitCtx<AiDeps>;
