/**
 * One interface every provider implements (providers/<name>.ts); adding a provider touches only its
 * file and the registry. Requests and answers are OpenAI's wire shapes (the gateway speaks OpenAI's
 * API whatever the provider), as plain JSON objects so fields Lodge does not know pass through.
 */

import type { Logger } from "@lodge/kit";

export type Json = Record<string, unknown>;

/** What a provider is made from (the registry's entry for it, and the service's logger and clock). */
export type ProviderSettings = {
  /** The registry's name for this provider. */
  name: string;
  /** The API's base URL, with its version path. */
  baseUrl: string;
  apiKey: string;
  /** How long a call may wait for the upstream's response headers. */
  connectTimeoutMs: number;
  logger: Logger;
  clock: () => Date;
};

/** One upstream request: the caller's body with `model` set to the deployment's upstream model. */
export type ProviderRequest = {
  body: Json;
  /** Aborted when the caller disconnects or a timeout passes. */
  signal: AbortSignal;
};

/** A failed upstream call, as the gateway decides on it (never carrying the provider's secret). */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly options: {
      /** The upstream's HTTP status, or null for a network error or timeout. */
      status: number | null;
      /** Worth another attempt (429, 5xx, network errors, timeouts) before the first byte went to the caller. */
      retryable: boolean;
      /** The upstream's retry-after, in ms. */
      retryAfterMs?: number;
      /** The upstream's own error body (OpenAI's `error` object), passed on for a 4xx the caller caused. */
      body?: Json;
    },
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

/** An answer in one piece: its JSON, and its text as the upstream sent it when the provider read it off the wire (passed on as is). */
export type Answer = { body: Json; text?: string };

/**
 * One chunk of a streamed chat: OpenAI's chunk object, and its JSON text as the upstream sent it
 * when the provider read it off the wire (relayed as it came rather than serialized again).
 */
export type StreamChunk = { chunk: Json; text?: string };

export type Provider = {
  /** Its registry name (`openai`, `replicate`). */
  name: string;
  /** A chat completion (`stream` off). */
  chat(request: ProviderRequest): Promise<Answer>;
  /** A chat completion streamed: OpenAI's chunks in order (the last may carry `usage`). */
  chatStream(request: ProviderRequest): AsyncIterable<StreamChunk>;
  embeddings(request: ProviderRequest): Promise<Json>;
  /** OpenAI's images response (`{ created, data: [{ url | b64_json }] }`). */
  images(request: ProviderRequest): Promise<Json>;
  /** The upstream's model ids (simple mode serves them all). */
  models(signal: AbortSignal): Promise<string[]>;
};
