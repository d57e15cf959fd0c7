/**
 * A local OpenAI API for tests, speaking its wire format: /v1/models, /v1/chat/completions (JSON,
 * and SSE chunks as OpenAI sends them, with the usage chunk when `stream_options.include_usage`),
 * /v1/embeddings (floats or base64, as the SDK asks) and /v1/images/generations. Answers echo the
 * last user message, with usage counted by gpt-tokenizer. Tests script what the next calls for a
 * model do (`script`) and read what was sent (`requests`).
 */
import { countTokens } from "gpt-tokenizer";

/** What one scripted call does instead of answering at once. */
export type Step =
  /** An error answer in OpenAI's shape (with `retry-after` when given). */
  | { status: number; retryAfter?: string; message?: string }
  /** Answers, but only after `delayMs` (the headers of a JSON answer, the first chunk of a stream). */
  | { delayMs: number }
  /** A stream whose connection ends after `chunks` content chunks: no finish reason, no usage, no [DONE]. */
  | { cutAfterChunks: number }
  /** A stream that sends `chunks` content chunks, then nothing more until the caller goes away. */
  | { stallAfterChunks: number }
  /** A 200 whose body is not JSON. */
  | { garbage: true }
  /** A stream without the usage chunk, whatever was asked (as some OpenAI-compatible servers do). */
  | { noUsage: true };

export type RecordedRequest = { path: string; authorization: string | null; body: Record<string, unknown> };

export type FakeOpenAi = Awaited<ReturnType<typeof startFakeOpenAi>>;

const encoder = new TextEncoder();

/** `record: false` keeps no request log (bench/ai.ts: a log of millions of requests would slow the fake down). */
export function startFakeOpenAi(options: { apiKey?: string; models?: string[]; port?: number; record?: boolean } = {}) {
  const apiKey = options.apiKey ?? "sk-fake-upstream-secret";
  const models = options.models ?? ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "dall-e-3", "local-llama"];
  const scripts = new Map<string, Step[]>();
  const requests: RecordedRequest[] = [];
  /** Calls whose caller went away before the answer was complete. */
  const aborted: string[] = [];

  const server = Bun.serve({
    port: options.port ?? 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const authorization = request.headers.get("authorization");
      const body = request.method === "POST" ? ((await request.json().catch(() => ({}))) as Record<string, unknown>) : {};
      if (options.record !== false) requests.push({ path, authorization, body });
      if (authorization !== `Bearer ${apiKey}`) return openAiError(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
      if (request.method === "GET" && path === "/v1/models") {
        return Response.json({ object: "list", data: models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "openai" })) });
      }
      const model = String(body.model ?? "");
      const step = scripts.get(model)?.shift();
      if (step && "status" in step) return openAiError(step.status, step.message ?? `Scripted ${step.status}`, "server_error", null, step.retryAfter);
      if (step && "garbage" in step) return new Response("<html>502 Bad Gateway</html>", { headers: { "content-type": "application/json" } });
      const delayMs = step && "delayMs" in step ? step.delayMs : 0;
      const onAbort = () => aborted.push(model);
      if (path === "/v1/chat/completions" && body.stream === true) return streamChat(body, step, delayMs, request.signal, onAbort);
      if (!(await waited(delayMs, request.signal))) {
        onAbort();
        return new Response(null, { status: 499 });
      }
      if (path === "/v1/chat/completions") return Response.json(completionOf(body));
      if (path === "/v1/embeddings") return Response.json(embeddingsOf(body));
      if (path === "/v1/images/generations") return Response.json(imagesOf(body));
      return openAiError(404, `Unknown path ${path}`, "invalid_request_error", "unknown_url");
    },
  });

  return {
    /** The API's base URL, with its version path (as OPENAI_BASE_URL takes it). */
    url: `http://127.0.0.1:${server.port}/v1`,
    apiKey,
    requests,
    aborted,
    /** The next calls for `model` do these steps, in order; later calls answer normally. */
    script: (model: string, ...steps: Step[]) => scripts.set(model, [...(scripts.get(model) ?? []), ...steps]),
    /** What was sent for `model` to `path`. */
    sentFor: (model: string, path = "/v1/chat/completions") => requests.filter((request) => request.path === path && request.body.model === model),
    stop: () => server.stop(true),
  };
}

function openAiError(status: number, message: string, type: string, code: string | null, retryAfter?: string) {
  const headers: Record<string, string> = retryAfter ? { "retry-after": retryAfter } : {};
  return Response.json({ error: { message, type, param: null, code } }, { status, headers });
}

/** Resolves true after `ms`, or false as soon as the caller goes away. */
function waited(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms === 0) return Promise.resolve(!signal.aborted);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

type Message = { role?: string; content?: unknown };

/** The answer to a chat: the last user message echoed back. */
export function replyTo(body: Record<string, unknown>): string {
  const messages = (body.messages ?? []) as Message[];
  const last = [...messages].reverse().find((message) => message.role === "user");
  return `You said: ${textOf(last?.content)}`;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => (part as { text?: string }).text ?? "").join(" ");
  return "";
}

/** Usage as OpenAI reports it: about 3 tokens of framing per message, plus 3 for the answer's. */
function usageOf(body: Record<string, unknown>, reply: string) {
  const messages = (body.messages ?? []) as Message[];
  const prompt = messages.reduce((sum, message) => sum + 3 + countTokens(textOf(message.content)), 3);
  const completion = countTokens(reply);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

const created = 1_764_547_200;

function completionOf(body: Record<string, unknown>) {
  const reply = replyTo(body);
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created,
    model: body.model,
    choices: [{ index: 0, message: { role: "assistant", content: reply, refusal: null, annotations: [] }, logprobs: null, finish_reason: "stop" }],
    usage: usageOf(body, reply),
    service_tier: "default",
    system_fingerprint: "fp_fake",
  };
}

/** The reply in OpenAI's chunks: the role, the words, the finish reason, then (when asked) the usage chunk with no choices. */
function streamChat(body: Record<string, unknown>, step: Step | undefined, delayMs: number, signal: AbortSignal, onAbort: () => void) {
  const reply = replyTo(body);
  const withUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true && !(step && "noUsage" in step);
  const base = { id: "chatcmpl-fake", object: "chat.completion.chunk", created, model: body.model, service_tier: "default", system_fingerprint: "fp_fake" };
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(withUsage ? { usage: null } : {}),
  });
  const words = reply.split(/(?<= )/);
  const chunks = [chunk({ role: "assistant", content: "", refusal: null }, null), ...words.map((word) => chunk({ content: word }, null))];
  const cutAfter = step && "cutAfterChunks" in step ? step.cutAfterChunks : step && "stallAfterChunks" in step ? step.stallAfterChunks : undefined;
  const stall = step !== undefined && "stallAfterChunks" in step;
  const events =
    cutAfter === undefined
      ? [...chunks, chunk({}, "stop"), ...(withUsage ? [{ ...base, choices: [], usage: usageOf(body, reply) }] : [])].map(
          (event) => `data: ${JSON.stringify(event)}\n\n`,
        )
      : chunks.slice(0, cutAfter + 1).map((event) => `data: ${JSON.stringify(event)}\n\n`);
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      if (!(await waited(delayMs, signal))) return onAbort();
      for (const event of events) controller.enqueue(encoder.encode(event));
      if (cutAfter === undefined) {
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        controller.close();
      } else if (!stall) controller.close();
    },
    cancel: onAbort,
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
}

function embeddingsOf(body: Record<string, unknown>) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const texts = inputs.map((input) => (typeof input === "string" ? input : JSON.stringify(input)));
  const data = texts.map((text, index) => {
    const vector = Array.from({ length: 8 }, (_, position) => ((text.length + position) % 10) / 10);
    const embedding = body.encoding_format === "base64" ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector;
    return { object: "embedding", index, embedding };
  });
  const tokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
  return { object: "list", data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

function imagesOf(body: Record<string, unknown>) {
  const count = typeof body.n === "number" ? body.n : 1;
  const data = Array.from({ length: count }, (_, index) =>
    body.response_format === "b64_json" ? { b64_json: Buffer.from(`image ${index}`).toString("base64") } : { url: `https://images.fake/${index}.png` },
  );
  return { created, data };
}
