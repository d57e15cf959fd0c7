import { ApiError } from "@lodge/kit";
import type { AiDeps } from "../deps";
import { ProviderError } from "../providers/types";
import type { Deployment, ModelAlias } from "./registry";

/** One try at one deployment: its signal (the caller gone, the call's total or this try's first-token timeout), and the mark of its first token. */
export type Attempt = { signal: AbortSignal; gotFirstToken(): void };

/** A call that reached a deployment: its answer, where from, and `end()` to stop the call's total timeout once the answer is complete. */
export type Routed<T> = { value: T; deployment: Deployment; signal: AbortSignal; end(): void };

/** The longest a provider's retry-after is waited before trying the next deployment instead. */
const maxRetryWaitMs = 10_000;
const backoffBaseMs = 100;

/**
 * Tries the alias's deployments in order, skipping those whose circuit is open. On one deployment,
 * a 429, 5xx, network error or timeout is tried again (AI_MAX_ATTEMPTS) after an exponential,
 * jittered backoff or the provider's retry-after; then the next deployment. `call` resolves once
 * the first token is in hand (the whole answer, or a stream's first chunk): nothing has reached
 * the caller before that, so every retry is safe. A caller's mistake (an upstream 400) is answered at once.
 */
export async function routeCall<T>(options: {
  deps: AiDeps;
  alias: ModelAlias;
  /** Aborted when the caller goes away. */
  signal: AbortSignal;
  call: (deployment: Deployment, attempt: Attempt) => Promise<T>;
}): Promise<Routed<T>> {
  const { deps, alias } = options;
  const { env, breakers } = deps;
  // One controller for the call and one per try, aborted by listeners and timers: no
  // AbortSignal.any (two a call cost ~3 µs of CPU and garbage the collector then traces).
  const call = new AbortController();
  const abortCall = () => call.abort();
  const total = abortAfter(call, env.AI_TOTAL_TIMEOUT_MS);
  follow(options.signal, abortCall);
  const end = () => {
    clearTimeout(total.timer);
    options.signal.removeEventListener("abort", abortCall);
  };
  const { signal } = call;
  let last: { error: ProviderError; timedOut: boolean } | undefined;
  try {
    for (const deployment of alias.deployments) {
      if (!breakers.allows(deployment.id)) continue;
      for (let attempt = 1; ; attempt++) {
        const attemptCall = new AbortController();
        const abortAttempt = () => attemptCall.abort();
        const firstToken = abortAfter(attemptCall, env.AI_FIRST_TOKEN_TIMEOUT_MS);
        // Kept once the try answered: a stream goes on, and the caller leaving (or the total timeout) still stops it.
        follow(signal, abortAttempt);
        try {
          const value = await options.call(deployment, {
            signal: attemptCall.signal,
            gotFirstToken: () => clearTimeout(firstToken.timer),
          });
          breakers.succeeded(deployment.id);
          return { value, deployment, signal, end };
        } catch (thrown) {
          clearTimeout(firstToken.timer);
          signal.removeEventListener("abort", abortAttempt);
          if (options.signal.aborted) throw new ApiError({ code: "UNAVAILABLE", message: "The caller went away" });
          const error = thrown instanceof ProviderError ? thrown : new ProviderError("The provider failed", { status: null, retryable: true });
          last = { error, timedOut: firstToken.timedOut || total.timedOut };
          const status = error.options.status;
          if (status !== null && callerMistake.has(status)) throw upstreamRefusal(error);
          // A rate limit says nothing about the deployment's health; failures and timeouts do.
          if (status !== 429) breakers.failed(deployment.id);
          if (total.timedOut) throw failureOf(last, deps, alias);
          const wait = error.options.retryAfterMs ?? backoffMs(attempt);
          if (!error.options.retryable || attempt >= env.AI_MAX_ATTEMPTS || wait > maxRetryWaitMs || !breakers.allows(deployment.id)) break;
          await deps.sleep(wait, signal);
        }
      }
    }
    throw failureOf(last, deps, alias);
  } catch (error) {
    end();
    throw error;
  }
}

/** Aborts `controller` after `ms` unless `timer` is cleared first; `timedOut` says whether that is why it aborted. */
function abortAfter(controller: AbortController, ms: number) {
  const state = { timedOut: false, timer: undefined as ReturnType<typeof setTimeout> | undefined };
  state.timer = setTimeout(() => {
    state.timedOut = true;
    controller.abort();
  }, ms);
  return state;
}

/** Calls `abort` when `signal` aborts (at once when it already has). */
function follow(signal: AbortSignal, abort: () => void) {
  if (signal.aborted) abort();
  else signal.addEventListener("abort", abort, { once: true });
}

/** Upstream answers caused by the caller's request: passed on, never retried or held against the deployment. */
const callerMistake = new Set([400, 413, 422]);

/** Full jitter over an exponential step: 100 ms, 200 ms, 400 ms... at most 5 s. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(5000, backoffBaseMs * 2 ** (attempt - 1));
}

function upstreamRefusal(error: ProviderError): ApiError {
  const upstream = error.options.body as { message?: unknown; param?: unknown; code?: unknown } | undefined;
  return new ApiError({
    code: "VALIDATION_FAILED",
    status: 400,
    message: typeof upstream?.message === "string" ? upstream.message : "The provider refused the request",
    details: { param: typeof upstream?.param === "string" ? upstream.param : null, code: typeof upstream?.code === "string" ? upstream.code : "invalid_value" },
  });
}

/** What the caller is told when no deployment answered: no provider text is passed on (it may name the gateway's key). */
function failureOf(last: { error: ProviderError; timedOut: boolean } | undefined, deps: AiDeps, alias: ModelAlias): ApiError {
  if (!last) {
    const waitMs = deps.breakers.reopensIn(alias.deployments.map((deployment) => deployment.id));
    return new ApiError({ code: "UNAVAILABLE", message: "Every provider of this model is failing; try again shortly", retryAfter: Math.ceil(waitMs / 1000) });
  }
  if (last.timedOut) return new ApiError({ code: "UNAVAILABLE", status: 504, message: "The provider did not answer in time" });
  if (last.error.options.status === 429) {
    const retryAfter = Math.ceil((last.error.options.retryAfterMs ?? 1000) / 1000);
    return new ApiError({
      code: "RATE_LIMITED",
      message: "The provider is rate limiting this model; try again later",
      retryAfter,
      details: { limit: "upstream" },
    });
  }
  return new ApiError({ code: "UNAVAILABLE", status: 502, message: "The provider failed to answer" });
}
