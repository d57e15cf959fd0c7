import type { Ctx as KitCtx, ServiceBase, WithOutbox } from "@lodge/kit";
import type { AnalyticsEnv } from "./env";

/** What the kit builds for every service, plus the analytics service's own (see service.ts); built once at boot. */
export type AnalyticsDeps = ServiceBase &
  WithOutbox & {
    env: AnalyticsEnv;
  };

export type Ctx = KitCtx<AnalyticsDeps>;
