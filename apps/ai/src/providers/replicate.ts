/**
 * The `replicate` provider: Replicate's models behind OpenAI's API, through the official `replicate`
 * SDK. A call creates a prediction, waits on it (`Prefer: wait`) and polls until it is done, and
 * cancels it when the call's signal aborts; a streamed chat reads the prediction's event stream
 * (`urls.stream`). What the answers look like is in replicate-shapes.ts.
 */
import { setTimeout as pause } from "node:timers/promises";
import { type Logger, retryAfterMs } from "@lodge/kit";
import Replicate, { type Prediction } from "replicate";
import {
  badRequest,
  chatInput,
  chunkMaker,
  completionOf,
  createdOf,
  finishReasonOf,
  imageInput,
  maxTokensOf,
  outputText,
  outputUrls,
  predictionTarget,
  usageOf,
} from "./replicate-shapes";
import { serverSentEvents } from "./server-sent-events";
import { type Json, type Provider, ProviderError, type ProviderRequest } from "./types";

export type ReplicateOptions = {
  /** The registry's name for it (`replicate` unless the registry names another). */
  name?: string;
  /** REPLICATE_API_TOKEN. */
  token: string;
  /** REPLICATE_BASE_URL, with the version path (`https://api.replicate.com/v1`). */
  baseUrl: string;
  fetch?: typeof fetch;
  logger: Logger;
  clock?: () => Date;
  /** How long creating a prediction waits for its answer (`Prefer: wait=n`, Replicate allows 1–60 s) before polling. */
  waitSeconds?: number;
  /** Between two polls of a prediction still running after the wait. */
  pollIntervalMs?: number;
};

const finished = new Set(["succeeded", "failed", "canceled", "aborted"]);
/** A cancel is sent whatever happened to the call, so it carries a time limit of its own. */
const CANCEL_TIMEOUT_MS = 10_000;
/** A create (not aborted with its call, see `create`) is given up this long after Replicate's wait should have ended. */
const CREATE_GRACE_SECONDS = 30;

export function createReplicateProvider(options: ReplicateOptions): Provider {
  const fetcher = options.fetch ?? fetch;
  const clock = options.clock ?? (() => new Date());
  const waitSeconds = options.waitSeconds ?? 60;
  const pollIntervalMs = options.pollIntervalMs ?? 500;

  /**
   * An SDK client for one request. The SDK repeats a refused request (429, and 5xx for reads) five
   * times at once: its backoff never waits (its delay is never a whole number of ms). Retries with
   * backoff are the gateway's, so the repeats get the first answer again instead of reaching Replicate.
   */
  function sdk() {
    let first: { error: unknown } | { status: number; statusText: string; headers: Headers; body: ArrayBuffer } | undefined;
    const answerOnce = async (input: Request | string, init?: RequestInit): Promise<Response> => {
      if (first && "error" in first) throw first.error;
      if (first) return new Response(first.body.slice(0), first);
      try {
        const response = await fetcher(input, init);
        if (response.ok) return response;
        first = { status: response.status, statusText: response.statusText, headers: response.headers, body: await response.arrayBuffer() };
        return new Response(first.body.slice(0), first);
      } catch (error) {
        first = { error };
        throw error;
      }
    };
    const client = new Replicate({ auth: options.token, baseUrl: options.baseUrl, fetch: answerOnce, useFileOutput: false, userAgent: "lodge-ai" });
    return { client, refusal: () => (first && !("error" in first) ? first : undefined) };
  }

  /** Runs one SDK request, its failure as a ProviderError. */
  async function request<T>(call: (client: Replicate) => Promise<T>): Promise<T> {
    const { client, refusal } = sdk();
    try {
      return await call(client);
    } catch (error) {
      throw providerError(error, refusal(), clock());
    }
  }

  function cancel(id: string) {
    request((client) => client.predictions.cancel(id, { signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) })).catch((error) =>
      options.logger.warn({ err: error, prediction: id }, "replicate prediction not cancelled"),
    );
  }

  /**
   * Creates a prediction. The creating request is not aborted with the call: its answer carries the
   * id a cancel needs, so when the call is aborted first, the prediction is cancelled once it arrives.
   */
  async function create(body: Json, input: Json, signal: AbortSignal, wait: boolean): Promise<Prediction> {
    const target = predictionTarget(body.model);
    if (signal.aborted) throw abortedCall(signal);
    const created = request((client) =>
      client.predictions.create({
        ...target,
        input,
        ...(wait ? { wait: waitSeconds } : {}),
        signal: AbortSignal.timeout((waitSeconds + CREATE_GRACE_SECONDS) * 1000),
      }),
    );
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        reject(abortedCall(signal));
        created.then((prediction) => !finished.has(prediction.status) && cancel(prediction.id)).catch(() => {});
      };
      signal.addEventListener("abort", onAbort, { once: true });
      created.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /** Polls a prediction until it is done (succeeded, failed or cancelled). */
  async function settle(prediction: Prediction, signal: AbortSignal): Promise<Prediction> {
    let current = prediction;
    while (!finished.has(current.status)) {
      await pause(pollIntervalMs, undefined, { signal });
      current = await request((client) => client.predictions.get(current.id, { signal }));
    }
    return current;
  }

  /** Creates a prediction and waits for it to succeed; it is cancelled if the call is aborted, or fails, while it runs. */
  async function run(body: Json, input: Json, signal: AbortSignal): Promise<Prediction> {
    const created = await create(body, input, signal, true);
    let done: Prediction;
    try {
      done = await settle(created, signal);
    } catch (error) {
      cancel(created.id);
      throw signal.aborted ? abortedCall(signal) : error;
    }
    return succeeded(done);
  }

  return {
    name: options.name ?? "replicate",

    async chat({ body, signal }: ProviderRequest) {
      const prediction = await run(body, chatInput(body), signal);
      return { body: completionOf(prediction, { model: body.model, maxTokens: maxTokensOf(body), now: clock() }) };
    },

    async *chatStream({ body, signal }: ProviderRequest) {
      const maxTokens = maxTokensOf(body);
      const created = await create(body, chatInput(body), signal, false);
      const { chunk, usage } = chunkMaker(created, { model: body.model, now: clock() });
      let done: Prediction | undefined;
      try {
        yield { chunk: chunk({ role: "assistant", content: "" }) };
        if (created.urls?.stream) {
          for await (const text of outputEvents(created.urls.stream, fetcher, signal)) yield { chunk: chunk({ content: text }) };
          done = await settle(created, signal);
          succeeded(done);
        } else {
          done = await settle(created, signal);
          yield { chunk: chunk({ content: outputText(succeeded(done).output) }) };
        }
      } catch (error) {
        throw signal.aborted ? abortedCall(signal) : error;
      } finally {
        // Cut, aborted, or left by the caller: a prediction still running is of no use.
        if (!done) cancel(created.id);
      }
      const used = usageOf(done);
      yield { chunk: chunk({}, finishReasonOf(used, maxTokens)) };
      if (used) yield { chunk: usage(used) };
    },

    async embeddings() {
      throw badRequest("Replicate models do not serve embeddings: use a model of an OpenAI-compatible provider", "model");
    },

    async images({ body, signal }: ProviderRequest) {
      if (body.response_format === "b64_json") throw badRequest("Replicate models answer image URLs: ask for `response_format: url`", "response_format");
      const prediction = await run(body, imageInput(body), signal);
      const urls = outputUrls(prediction.output);
      if (urls.length === 0) throw new ProviderError("Replicate's prediction produced no image", { status: null, retryable: false });
      return { created: createdOf(prediction, clock()), data: urls.map((url) => ({ url })) };
    },

    // Replicate's models are named in the registry, never listed.
    async models() {
      return [];
    },
  };
}

/**
 * The text of a prediction's `output` events, until `done` or `error` (how the prediction ended is
 * then read from the prediction itself); a stream that ends without either was cut.
 */
async function* outputEvents(url: string, fetcher: typeof fetch, signal: AbortSignal): AsyncGenerator<string> {
  let response: Response;
  try {
    response = await fetcher(url, { headers: { accept: "text/event-stream" }, signal });
  } catch {
    throw new ProviderError("Replicate's stream could not be reached", { status: null, retryable: true });
  }
  if (!response.ok || !response.body)
    throw new ProviderError(`Replicate's stream answered ${response.status}`, { status: response.status, retryable: response.status >= 500 });
  for await (const event of serverSentEvents(response.body)) {
    if (event.event === "output") yield event.data;
    if (event.event === "done" || event.event === "error") return;
  }
  throw new ProviderError("Replicate's stream was cut before the prediction was done", { status: null, retryable: true });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Replicate's error text: a problem document's `detail` or `title`, a prediction's `error`, or the text itself. */
function detailOf(value: unknown): string {
  const parsed = typeof value === "string" ? (parseJson(value) ?? value) : value;
  if (parsed && typeof parsed === "object") {
    const problem = parsed as { detail?: unknown; title?: unknown; error?: unknown };
    return String(problem.detail ?? problem.title ?? problem.error ?? JSON.stringify(parsed));
  }
  return String(parsed ?? "unknown error");
}

/** A finished prediction that succeeded; a failed or cancelled one is an error, not worth another attempt. */
function succeeded(prediction: Prediction): Prediction {
  if (prediction.status === "succeeded") return prediction;
  const why = prediction.status === "failed" ? detailOf(prediction.error) : `it was ${prediction.status}`;
  throw new ProviderError(`Replicate's prediction failed: ${why}`, { status: null, retryable: false });
}

/** The call's signal aborted it: the caller left, or a timeout passed (worth another attempt, if the gateway still wants one). */
function abortedCall(signal: AbortSignal): ProviderError {
  const why = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? "aborted");
  return new ProviderError(`The call to Replicate was aborted (${why})`, { status: null, retryable: true });
}

/**
 * A failed request as the gateway decides on it: 429 and 5xx are worth another attempt (with
 * Replicate's retry-after), other statuses are not (400 and 422 are the caller's input, answered
 * in OpenAI's error body), and no answer at all is a network error.
 */
function providerError(error: unknown, refusal: { status: number; headers: Headers; body: ArrayBuffer } | undefined, now: Date): ProviderError {
  if (error instanceof ProviderError) return error;
  if (!refusal)
    return new ProviderError(`Replicate could not be reached (${error instanceof Error ? error.message : "no answer"})`, { status: null, retryable: true });
  const { status, headers } = refusal;
  const detail = detailOf(new TextDecoder().decode(refusal.body));
  const retryAfter = retryAfterMs(headers.get("retry-after"), now);
  const message = `Replicate answered ${status}: ${detail}`;
  if (status === 400 || status === 422) return badRequest(detail);
  return new ProviderError(message, { status, retryable: status === 429 || status >= 500, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }) });
}
