/**
 * OpenAI's request and answer shapes ⇄ a Replicate model's inputs and a prediction's output, for
 * the `replicate` provider (replicate.ts). Replicate's language models take one `prompt` (and a
 * `system_prompt`) and answer an array of text pieces; its image models take a `prompt` and answer
 * file URLs.
 */
import type { Prediction } from "replicate";
import { type Json, ProviderError } from "./types";

/** A model of Replicate as the registry names it: `owner/name` (an official model) or `owner/name:version`. */
export function predictionTarget(model: unknown): { model: string } | { version: string } {
  const match = typeof model === "string" ? /^([\w.-]+)\/([\w.-]+)(?::(\w+))?$/.exec(model) : null;
  if (!match) throw new ProviderError(`"${String(model)}" is not a Replicate model (owner/name or owner/name:version)`, { status: null, retryable: false });
  return match[3] ? { version: match[3] } : { model: `${match[1]}/${match[2]}` };
}

/** A caller's mistake, in OpenAI's error body (the gateway answers it as a 400). */
export function badRequest(message: string, param: string | null = null): ProviderError {
  return new ProviderError(message, { status: 400, retryable: false, body: { message, type: "invalid_request_error", param, code: null } });
}

type Message = { role?: unknown; content?: unknown };
type Part = { type?: unknown; text?: unknown; image_url?: { url?: unknown } };

/** What OpenAI requests can ask that no Replicate language model here does: refused rather than silently ignored. */
const unsupportedChat: [string, (value: unknown) => boolean][] = [
  ["tools", (value) => Array.isArray(value) && value.length > 0],
  ["functions", (value) => Array.isArray(value) && value.length > 0],
  ["n", (value) => typeof value === "number" && value > 1],
  ["response_format", (value) => (value as { type?: unknown }).type !== "text"],
  ["logprobs", (value) => value === true],
];

/** Sampling settings Replicate's language models take under OpenAI's own names. */
const sameNames = ["temperature", "top_p", "presence_penalty", "frequency_penalty", "seed"];

const labels: Record<string, string> = { user: "User", assistant: "Assistant", tool: "Tool" };

function partsOf(message: Message): Part[] {
  if (typeof message.content === "string") return [{ type: "text", text: message.content }];
  return Array.isArray(message.content) ? (message.content as Part[]) : [];
}

const textOf = (message: Message) =>
  partsOf(message)
    .flatMap((part) => (part.type === "text" && typeof part.text === "string" ? [part.text] : []))
    .join("\n");

/** The most a chat may produce, as the caller asked (`max_completion_tokens` is OpenAI's newer name). */
export function maxTokensOf(body: Json): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === "number" ? value : undefined;
}

/**
 * A chat request as a language model's inputs: system messages become `system_prompt`; one user
 * message is the `prompt` as it is, a longer conversation a transcript of labelled turns; the first
 * image of the last user message is `image` (vision models); `stop` becomes `stop_sequences`.
 */
export function chatInput(body: Json): Json {
  for (const [field, unsupported] of unsupportedChat) {
    if (body[field] !== undefined && body[field] !== null && unsupported(body[field]))
      throw badRequest(`Replicate models do not support \`${field}\` here`, field);
  }
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw badRequest("`messages` must be a non-empty array", "messages");
  const isSystem = (message: Message) => message.role === "system" || message.role === "developer";
  const system = (messages as Message[]).filter(isSystem).map(textOf).join("\n\n");
  const turns = (messages as Message[]).filter((message) => !isSystem(message));
  const [only] = turns;
  const prompt =
    turns.length === 1 && only?.role === "user" ? textOf(only) : turns.map((turn) => `${labels[String(turn.role)] ?? "User"}: ${textOf(turn)}`).join("\n\n");
  const lastUser = turns.findLast((turn) => turn.role === "user");
  const image = lastUser ? partsOf(lastUser).find((part) => part.type === "image_url")?.image_url?.url : undefined;
  const input: Json = { prompt };
  if (system) input.system_prompt = system;
  if (typeof image === "string") input.image = image;
  const maxTokens = maxTokensOf(body);
  if (maxTokens !== undefined) input.max_tokens = maxTokens;
  for (const name of sameNames) if (typeof body[name] === "number") input[name] = body[name];
  const stop = typeof body.stop === "string" ? [body.stop] : body.stop;
  if (Array.isArray(stop) && stop.length > 0) input.stop_sequences = stop.join(",");
  return input;
}

/** An image request as an image model's inputs: `n` as `num_outputs`, `size` as width, height and aspect ratio (models take one or the other). */
export function imageInput(body: Json): Json {
  if (typeof body.prompt !== "string" || body.prompt.length === 0) throw badRequest("`prompt` must be a non-empty string", "prompt");
  const input: Json = { prompt: body.prompt };
  if (typeof body.n === "number") input.num_outputs = body.n;
  const size = typeof body.size === "string" ? /^(\d+)x(\d+)$/.exec(body.size) : null;
  if (size) {
    const [width, height] = [Number(size[1]), Number(size[2])];
    const divisor = greatestCommonDivisor(width, height);
    Object.assign(input, { width, height, aspect_ratio: `${width / divisor}:${height / divisor}` });
  }
  return input;
}

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}

/** OpenAI's usage from a prediction's metrics, when the model reports its token counts. */
export function usageOf(prediction: Prediction): Json | undefined {
  const metrics = prediction.metrics as { input_token_count?: unknown; output_token_count?: unknown } | undefined;
  const input = metrics?.input_token_count;
  const output = metrics?.output_token_count;
  if (typeof input !== "number" || typeof output !== "number") return undefined;
  return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
}

/** A language model's output (text pieces, or one text) as one text. */
export function outputText(output: unknown): string {
  if (Array.isArray(output)) return output.filter((piece) => typeof piece === "string").join("");
  return typeof output === "string" ? output : "";
}

/** An image model's output (file URLs, or one) as URLs. */
export function outputUrls(output: unknown): string[] {
  const values = Array.isArray(output) ? output : [output];
  return values.filter((value): value is string => typeof value === "string" && /^(https?|data):/.test(value));
}

/** OpenAI's `created`: the prediction's creation, in seconds. */
export function createdOf(prediction: Prediction, now: Date): number {
  const created = Date.parse(prediction.created_at);
  return Math.floor((Number.isNaN(created) ? now.getTime() : created) / 1000);
}

/** Why the answer ended: at the caller's `max_tokens`, or where the model stopped. */
export function finishReasonOf(usage: Json | undefined, maxTokens: number | undefined): "length" | "stop" {
  return maxTokens !== undefined && typeof usage?.completion_tokens === "number" && usage.completion_tokens >= maxTokens ? "length" : "stop";
}

/** A chat.completion from a finished prediction. */
export function completionOf(prediction: Prediction, request: { model: unknown; maxTokens?: number; now: Date }): Json {
  const usage = usageOf(prediction);
  return {
    id: `chatcmpl-${prediction.id}`,
    object: "chat.completion",
    created: createdOf(prediction, request.now),
    model: request.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: outputText(prediction.output), refusal: null },
        logprobs: null,
        finish_reason: finishReasonOf(usage, request.maxTokens),
      },
    ],
    ...(usage ? { usage } : {}),
  };
}

/** The chat.completion.chunk objects of one prediction, made by `chunk(delta, finishReason)`. */
export function chunkMaker(prediction: Prediction, request: { model: unknown; now: Date }) {
  const base = { id: `chatcmpl-${prediction.id}`, object: "chat.completion.chunk", created: createdOf(prediction, request.now), model: request.model };
  return {
    chunk: (delta: Json, finishReason: string | null = null): Json => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    }),
    /** The last chunk, as OpenAI sends it with `stream_options.include_usage`: no choices, the usage. */
    usage: (usage: Json): Json => ({ ...base, choices: [], usage }),
  };
}
