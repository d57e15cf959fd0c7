import { createHttpClient, retryAfterMs } from "@lodge/kit";
import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { serverSentEvents } from "./server-sent-events";
import { type Json, type Provider, ProviderError, type ProviderRequest, type ProviderSettings } from "./types";

/**
 * Any OpenAI-compatible API (OpenAI, OpenRouter, vLLM, Ollama) through the official SDK. The SDK's
 * own retries are off: the gateway retries, and falls back to the next deployment.
 */
export function createOpenAiProvider(settings: ProviderSettings): Provider {
  // The kit's keep-alive client instead of Bun's fetch: no hand-off to Bun's HTTP thread and back for each call.
  const client = new OpenAI({ apiKey: settings.apiKey, baseURL: settings.baseUrl, maxRetries: 0, timeout: 2_147_483_647, fetch: createHttpClient() });
  // The SDK's types describe OpenAI's known fields; the gateway passes the caller's body through as it came.
  const chat = client.chat.completions;
  return {
    name: settings.name,
    // The SDK makes the request and raises its errors; the answer's text is passed on as it came, parsed once for metering.
    chat: ({ body, signal }) =>
      upstream(settings.clock, async () => {
        const text = await (await chat.create(body as never, { signal }).asResponse()).text();
        return { body: jsonObjectOf(text), text };
      }),
    async *chatStream({ body, signal }: ProviderRequest) {
      // The SDK makes the request and raises its errors; the body is read here, each chunk's text
      // kept as it came (relayed as is) and parsed once for what metering needs.
      const response = await upstream(settings.clock, () =>
        withinConnectTimeout(settings.connectTimeoutMs, signal, (inner) => chat.create({ ...body, stream: true } as never, { signal: inner }).asResponse()),
      );
      if (!response.body) throw new ProviderError("The provider answered a stream without a body", { status: null, retryable: true });
      // A stream cut before its [DONE] may still be complete: a complete one has given its finish reason.
      let finished = false;
      try {
        for await (const { event, data } of serverSentEvents(response.body)) {
          if (data === "[DONE]") return;
          const chunk = jsonObjectOf(data);
          // An error in the stream fails it, as the SDK's own reader has it.
          if (event === "error" || chunk.error) throw new ProviderError("The provider's stream sent an error", { status: null, retryable: true });
          finished ||= (chunk.choices as { finish_reason?: unknown }[] | undefined)?.some((choice) => typeof choice.finish_reason === "string") === true;
          yield { chunk, text: data };
        }
      } catch (error) {
        throw providerErrorOf(error, settings.clock);
      }
      if (!finished && !signal.aborted) throw new ProviderError("The provider's stream broke off", { status: null, retryable: true });
    },
    embeddings: ({ body, signal }) => upstream(settings.clock, () => client.embeddings.create(body as never, { signal }) as Promise<unknown> as Promise<Json>),
    images: ({ body, signal }) => upstream(settings.clock, () => client.images.generate(body as never, { signal }) as Promise<unknown> as Promise<Json>),
    models: async (signal) => {
      const page = await upstream(settings.clock, () => client.models.list({ signal }));
      return page.data.map((model) => model.id);
    },
  };
}

async function upstream<T>(clock: () => Date, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw providerErrorOf(error, clock);
  }
}

/** An answer's or a chunk's JSON object; anything else is a provider answering garbage. */
function jsonObjectOf(text: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProviderError("The provider answered something that is not JSON", { status: null, retryable: true });
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new ProviderError("The provider answered something that is not a JSON object", { status: null, retryable: true });
  }
  return value as Json;
}

/** `call` with a signal that also aborts when no response headers came within `ms`. */
async function withinConnectTimeout<T>(ms: number, signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const connect = new AbortController();
  const timer = setTimeout(() => connect.abort(new ProviderError("The provider did not answer in time", { status: null, retryable: true })), ms);
  try {
    return await call(AbortSignal.any([signal, connect.signal]));
  } finally {
    clearTimeout(timer);
  }
}

/** The SDK's errors as the gateway decides on them; the message never carries the request's credentials. */
function providerErrorOf(error: unknown, clock: () => Date): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIUserAbortError || error instanceof APIConnectionTimeoutError) {
    return new ProviderError("The provider call was aborted", { status: null, retryable: true });
  }
  if (error instanceof APIError && typeof error.status === "number") {
    const status = error.status;
    return new ProviderError(`The provider answered ${status}`, {
      status,
      retryable: status === 408 || status === 409 || status === 429 || status >= 500,
      retryAfterMs: retryAfterOf(error.headers, clock()),
      body: error.error && typeof error.error === "object" ? (error.error as Json) : undefined,
    });
  }
  // A refused or dropped connection, or an answer that is not the JSON or SSE it should be.
  return new ProviderError("The provider could not be reached or answered garbage", { status: null, retryable: true });
}

/** OpenAI's `retry-after-ms`, else the standard `retry-after` (seconds or an HTTP date). */
function retryAfterOf(headers: Headers | undefined, now: Date): number | undefined {
  const milliseconds = Number(headers?.get("retry-after-ms"));
  if (Number.isFinite(milliseconds) && milliseconds > 0) return milliseconds;
  return retryAfterMs(headers?.get("retry-after"), now);
}
