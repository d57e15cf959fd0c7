import { Counter, Histogram, type Metrics } from "@lodge/kit";
import type { CallOutcome, CallPlan } from "./calls";

/** The AI service's Prometheus series: tokens, cost, requests, latency and time to first token, by model alias and provider. */
export function createAiMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  const tokens = new Counter({
    name: "ai_tokens_total",
    help: "Tokens billed, by model alias, provider and kind (input, output, cached: cached input tokens are also counted as input)",
    labelNames: ["model", "provider", "kind"] as const,
    registers,
  });
  const cost = new Counter({
    name: "ai_cost_usd_total",
    help: "USD billed, by model alias and provider",
    labelNames: ["model", "provider"] as const,
    registers,
  });
  const requests = new Counter({
    name: "ai_requests_total",
    help: "Calls settled, by model alias, provider (none: no deployment answered, or a cache hit) and status (ok, error, cancelled)",
    labelNames: ["model", "provider", "status"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "ai_request_duration_seconds",
    help: "Whole calls, from admission to the last byte, by model alias and provider",
    labelNames: ["model", "provider"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers,
  });
  const firstToken = new Histogram({
    name: "ai_first_token_seconds",
    help: "Time to the first byte of the answer (the first chunk of a stream), by model alias and provider",
    labelNames: ["model", "provider"] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });

  /** Counts one settled call. */
  return function record(plan: CallPlan, outcome: CallOutcome, costUsd: number) {
    const labels = { model: plan.model, provider: outcome.provider ?? "none" };
    // A response-cache hit bills no tokens (its requests show under provider "none").
    if (!outcome.cached) {
      tokens.inc({ ...labels, kind: "input" }, outcome.inputTokens);
      tokens.inc({ ...labels, kind: "output" }, outcome.outputTokens);
      tokens.inc({ ...labels, kind: "cached" }, outcome.cachedTokens);
    }
    cost.inc(labels, costUsd);
    requests.inc({ ...labels, status: outcome.status });
    duration.observe(labels, outcome.latencyMs / 1000);
    if (outcome.firstTokenMs !== null) firstToken.observe(labels, outcome.firstTokenMs / 1000);
  };
}

export type RecordCall = ReturnType<typeof createAiMetrics>;
