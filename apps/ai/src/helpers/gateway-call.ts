import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import type { Answer, Json, Provider, ProviderRequest } from "../providers/types";
import { admit } from "./admission";
import type { Admission, Caller, CallKind, CallOutcome, CallPlan, Pricing, TokenCounts } from "./calls";
import type { Deployment, ModelAlias } from "./registry";
import { type AnswerToKeep, type CachedAnswer, cacheLookupOf, cacheWriteOf, parseCached } from "./response-cache";
import { routeCall } from "./routing";
import type { InputTokens } from "./tokens";

/** How a call ended, as far as the gateway knows it when it settles. */
export type Ending = TokenCounts & {
  deployment: Deployment | null;
  tokensFrom: CallOutcome["tokensFrom"];
  status: CallOutcome["status"];
  httpStatus: number;
  firstTokenMs: number | null;
};

/**
 * A call admitted to run: its alias, plan and admission, the headers of its answer, and `settle`
 * (the first call counts; later ones do nothing). Settling goes on after it returns, so an answer
 * never waits for it: its Redis command is queued at once, ahead of anything a later request of
 * this instance sends, and stopping the service waits for it. `hit` is the cached answer to give
 * instead of calling upstream; `keeps` says whether a complete answer handed to `settle` is kept
 * for the next identical call (in the settle's own Redis step; not when the call is not cacheable, or is a hit).
 */
export type OpenCall = {
  alias: ModelAlias;
  plan: CallPlan;
  admission: Admission;
  headers: Record<string, string>;
  hit: CachedAnswer | null;
  keeps: boolean;
  settle(ending: Ending, answer?: AnswerToKeep): void;
  fail(error: unknown, signal: AbortSignal): void;
};

const noTokens = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };

/**
 * Finds the model the body names (404 when unknown, 503 when none is configured), checks the
 * output cap, plans the call and has it admitted, looking it up in the response cache in the same
 * Redis step (`cacheKey`, null when not cacheable), before anything goes upstream. A hit is admitted
 * like any call (requests, tokens and calls at once count) but reserves and costs nothing, and settles as cached.
 */
export async function openCall(
  ctx: Ctx,
  input: { caller: Caller; kind: CallKind; body: Json; inputTokens: InputTokens; stream: boolean; cacheKey: string | null },
): Promise<OpenCall> {
  const { deps } = ctx;
  const alias = await findAlias(ctx, input.body.model);
  const requested = requestedOutputTokens(input.body);
  if (requested !== undefined && requested > deps.env.AI_MAX_OUTPUT_TOKENS) {
    const param = input.body.max_tokens === undefined ? "max_completion_tokens" : "max_tokens";
    throw new ApiError({
      code: "VALIDATION_FAILED",
      status: 400,
      message: `${param} is above this gateway's limit of ${deps.env.AI_MAX_OUTPUT_TOKENS}`,
      details: { param },
    });
  }
  const { cacheKey } = input;
  const caps = alias.deployments.map((deployment) => deployment.maxOutputTokens ?? deps.env.AI_MAX_OUTPUT_TOKENS);
  const plan: CallPlan = {
    caller: input.caller,
    kind: input.kind,
    model: alias.name,
    inputTokens: input.inputTokens.atMost,
    countInputTokens: input.inputTokens.count,
    maxOutputTokens: input.kind === "chat" ? (requested ?? Math.max(...caps)) : 0,
    stream: input.stream,
    pricing: dearestOf(alias.deployments.map((deployment) => deployment.pricing)),
    requestId: ctx.requestId,
  };
  const admission = await admit(ctx, plan, cacheKey === null ? undefined : cacheLookupOf(deps, cacheKey, input.stream ? "stream" : "json"));
  const hit = admission.cached === null ? null : parseCached(admission.cached);
  const started = performance.now();
  let settled = false;
  const keeps = cacheKey !== null && !hit;
  const settle = (ending: Ending, answer?: AnswerToKeep) => {
    if (settled) return;
    settled = true;
    const outcome: CallOutcome = {
      inputTokens: ending.inputTokens,
      outputTokens: ending.outputTokens,
      cachedTokens: ending.cachedTokens,
      provider: ending.deployment?.provider.name ?? null,
      deployment: ending.deployment?.id ?? null,
      pricing: !hit && ending.deployment && ending.tokensFrom !== "none" ? ending.deployment.pricing : null,
      tokensFrom: ending.tokensFrom,
      cached: hit !== null,
      status: ending.status,
      httpStatus: ending.httpStatus,
      latencyMs: performance.now() - started,
      firstTokenMs: ending.firstTokenMs,
    };
    // Checked first: the request's child logger is made on first use, which most calls never need.
    if (ctx.deps.logger.isLevelEnabled("debug")) ctx.logger.debug({ call: admission.id, model: plan.model, ...outcome }, "ai call settled");
    // A failed store is the settle's failure: logged, never the caller's problem.
    const cache = keeps && answer ? cacheWriteOf(deps, cacheKey, answer) : null;
    deps.accounting.settleAfterAnswer(admission.settle(outcome, cache));
  };
  const fail = (error: unknown, signal: AbortSignal) =>
    settle({
      ...noTokens,
      deployment: null,
      tokensFrom: "none",
      status: signal.aborted ? "cancelled" : "error",
      httpStatus: error instanceof ApiError ? error.status : 500,
      firstTokenMs: null,
    });
  const headers = cacheKey === null ? admission.headers : { ...admission.headers, "x-lodge-cache": hit ? "hit" : "miss" };
  return { alias, plan, admission, headers, hit, keeps, settle, fail };
}

async function findAlias(ctx: Ctx, model: unknown): Promise<ModelAlias> {
  const { registry } = ctx.deps;
  if (registry.mode === "none") {
    throw new ApiError({
      code: "UNAVAILABLE",
      message: "No AI provider is configured: set AI_REGISTRY_FILE, or OPENAI_API_KEY (and OPENAI_BASE_URL) for simple mode",
      retryAfter: 60,
    });
  }
  const alias = await registry.find(String(model)).catch(() => {
    throw new ApiError({ code: "UNAVAILABLE", message: "The provider's model list cannot be read; try again shortly", retryAfter: 5 });
  });
  if (!alias)
    throw new ApiError({
      code: "NOT_FOUND",
      message: "The model does not exist or you do not have access to it",
      details: { param: "model", code: "model_not_found" },
    });
  return alias;
}

function requestedOutputTokens(body: Json): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === "number" ? value : undefined;
}

/** What the budget reserves against: the dearest price among the deployments that may answer. */
function dearestOf(pricings: Pricing[]): Pricing {
  return pricings.reduce((dearest, pricing) => ({
    inputPer1M: Math.max(dearest.inputPer1M, pricing.inputPer1M),
    outputPer1M: Math.max(dearest.outputPer1M, pricing.outputPer1M),
  }));
}

/** OpenAI's `usage` as token counts (embeddings have no completion tokens), or undefined when there is none. */
export function usageOf(usage: unknown): TokenCounts | undefined {
  if (!usage || typeof usage !== "object") return undefined;
  const { prompt_tokens, completion_tokens, input_tokens, output_tokens, prompt_tokens_details } = usage as Record<string, unknown>;
  const input = prompt_tokens ?? input_tokens;
  if (typeof input !== "number") return undefined;
  const output = completion_tokens ?? output_tokens;
  const cached = (prompt_tokens_details as { cached_tokens?: unknown } | undefined)?.cached_tokens;
  return { inputTokens: input, outputTokens: typeof output === "number" ? output : 0, cachedTokens: typeof cached === "number" ? cached : 0 };
}

/**
 * A call answered in one piece (chat without streaming, embeddings, images): from the response
 * cache on a hit, else routed (and the answer kept for the cache when the call is cacheable);
 * settled with the answer's usage (else `estimate` of it), and its answer (and its text when the
 * provider passed it on as it came) and headers returned.
 */
export async function answerCall(
  ctx: Ctx,
  input: {
    caller: Caller;
    kind: CallKind;
    body: Json;
    signal: AbortSignal;
    inputTokens: InputTokens;
    /** The response cache's key for this call, or null when it is not cacheable. */
    cacheKey: string | null;
    send: (provider: Provider, request: ProviderRequest) => Promise<Answer>;
    /** The output tokens of an answer that carries no usage. */
    estimate: (answer: Json) => number;
  },
) {
  const call = await openCall(ctx, { ...input, stream: false });
  const settleWith = (answer: Json, deployment: Deployment | null, kept?: AnswerToKeep) => {
    const usage = usageOf(answer.usage);
    const tokens = usage ?? { inputTokens: input.inputTokens.count(), outputTokens: input.estimate(answer), cachedTokens: 0 };
    return call.settle({ ...tokens, deployment, tokensFrom: usage ? "upstream" : "tokenizer", status: "ok", httpStatus: 200, firstTokenMs: null }, kept);
  };
  if (call.hit?.type === "json") {
    settleWith(call.hit.body, null);
    return { answer: call.hit.body, headers: call.headers };
  }
  try {
    const routed = await routeCall({
      deps: ctx.deps,
      alias: call.alias,
      signal: input.signal,
      call: async (deployment, attempt) => {
        const answer = await input.send(deployment.provider, { body: { ...input.body, model: deployment.model }, signal: attempt.signal });
        attempt.gotFirstToken();
        return answer;
      },
    });
    routed.end();
    const { body, text } = routed.value;
    settleWith(body, routed.deployment, { type: "json", body, text });
    return { answer: body, text, headers: call.headers };
  } catch (error) {
    call.fail(error, input.signal);
    throw error;
  }
}
