/**
 * The seam between the gateway (routes, providers, routing) and the accounting (callers, limits,
 * budgets, metering): the gateway resolves the caller, plans a call, asks to `admit` it before the
 * first upstream request, and settles the admission with what the call really used.
 */

import type { CacheWrite } from "./limiter";

/** Who a call is for: a user, through their own token, one of their API keys, or a service client acting for them. */
export type Caller = {
  userId: string;
  /** The Lodge API key used, or null. */
  keyId: string | null;
  /** The service client (`X-Lodge-User`) acting for the user, or null. */
  clientId: string | null;
  /** Whether the user is an admin (a user's own token only). */
  admin: boolean;
};

/** USD per million tokens. */
export type Pricing = { inputPer1M: number; outputPer1M: number; cachedInputPer1M?: number };

export type TokenCounts = { inputTokens: number; outputTokens: number; cachedTokens: number };

/** USD a call costs at `pricing` (cached input tokens are part of `inputTokens`, billed at the cached price when there is one). */
export function costOf(pricing: Pricing, tokens: TokenCounts): number {
  const cached = Math.min(tokens.cachedTokens, tokens.inputTokens);
  const cachedPrice = pricing.cachedInputPer1M ?? pricing.inputPer1M;
  return ((tokens.inputTokens - cached) * pricing.inputPer1M + cached * cachedPrice + tokens.outputTokens * pricing.outputPer1M) / 1_000_000;
}

export type CallKind = "chat" | "embeddings" | "images";

/** A call about to be made, as far as it is known before it starts. */
export type CallPlan = {
  caller: Caller;
  kind: CallKind;
  /** The public model alias asked for. */
  model: string;
  /** Input tokens reserved: the request's, or an upper bound of them when `countInputTokens` counts them exactly. */
  inputTokens: number;
  /** The tokenizer's count of the input, when `inputTokens` is an upper bound (admission asks for it only near a limit). */
  countInputTokens?: () => number;
  /** The most the call may produce (`max_tokens`/`max_completion_tokens`, else the deployment's cap). */
  maxOutputTokens: number;
  stream: boolean;
  /** The dearest pricing among the alias's deployments: what the budget reserves against. */
  pricing: Pricing;
  requestId?: string;
};

/** What a call used and how it ended. */
export type CallOutcome = TokenCounts & {
  /** The deployment that answered (null when none did, or for a cache hit). */
  provider: string | null;
  deployment: string | null;
  /** What it is billed at (null: nothing to bill, as for a cache hit or a call no deployment answered). */
  pricing: Pricing | null;
  /** How the tokens are known: the upstream's usage, counted with the tokenizer, or not at all (nothing was produced). */
  tokensFrom: "upstream" | "tokenizer" | "none";
  cached: boolean;
  status: "ok" | "error" | "cancelled";
  /** The HTTP status the caller got. */
  httpStatus: number;
  latencyMs: number;
  firstTokenMs: number | null;
};

/** An admitted call: settle it exactly once, whatever happened (that releases its concurrency slot and reservation). */
export type Admission = {
  /** The call's usage record id (UUIDv7). */
  id: string;
  /** OpenAI's `x-ratelimit-*` headers for the answer. */
  headers: Record<string, string>;
  /** The response cache's entry that answers the call (read in the admission's step, when asked for), or null. */
  cached: string | null;
  /** Settles the call (and writes `cache`, the answer it leaves to the response cache, in the same step). */
  settle(outcome: CallOutcome, cache?: CacheWrite | null): Promise<void>;
};
