import { analyticsOutbox } from "@lodge/db/schema";
import { defineService, type StartOptions, startService } from "@lodge/kit";
import type { AnalyticsDeps } from "./deps";
import { type AnalyticsEnv, analyticsEnv } from "./env";

export type AnalyticsServiceOptions = StartOptions<AnalyticsEnv>;

export const analyticsService = defineService<AnalyticsEnv, AnalyticsDeps>({
  name: "analytics",
  env: analyticsEnv,
  openApi: {
    prefix: "/analytics",
    title: "Lodge analytics",
    description:
      "Privacy-friendly web analytics (a tracker script, no cookies) and product events, stored in Postgres, with stats, breakdowns, funnels, retention and per-user activity.",
  },
  outbox: analyticsOutbox,
  tokens: "jwks",
  build: async (_base, options) => ({ env: options.env }),
  routes: () => [],
});

/** Builds every dependency once and returns the app, its deps and a close(). */
export const startAnalyticsService = (options: AnalyticsServiceOptions) => startService(analyticsService, options);
