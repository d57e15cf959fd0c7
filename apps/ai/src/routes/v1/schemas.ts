import { z } from "@hono/zod-openapi";

export const bearer = [{ bearer: [] }];

/** A public model name from GET /ai/v1/models. */
const ModelName = z.string().min(1).max(256).openapi({ example: "gpt-4o-mini" });
const tokenCount = z.number().int().positive().nullable().optional();

const Message = z
  .looseObject({
    role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
    content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]).optional(),
  })
  .openapi({ description: "A chat message as OpenAI takes it (tool calls, names and image parts pass through)" });

/** OpenAI's chat request: what Lodge reads is checked, every other field passes through to the provider. */
export const ChatRequest = z
  .looseObject({
    model: ModelName,
    messages: z.array(Message).min(1).max(2048),
    stream: z.boolean().nullable().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
    max_tokens: tokenCount,
    max_completion_tokens: tokenCount,
    n: z.number().int().min(1).max(128).nullable().optional(),
  })
  .openapi("ChatCompletionRequest");

export const EmbeddingsRequest = z
  .looseObject({
    model: ModelName,
    input: z.union([
      z.string().min(1),
      z.array(z.string().min(1)).min(1).max(2048),
      z.array(z.number().int()).min(1),
      z.array(z.array(z.number().int()).min(1)).min(1),
    ]),
  })
  .openapi("EmbeddingsRequest");

export const ImagesRequest = z
  .looseObject({
    model: ModelName,
    prompt: z.string().min(1).max(32_000),
    n: z.number().int().min(1).max(10).nullable().optional(),
  })
  .openapi("ImagesRequest");

/** Answers are OpenAI's, passed on as the provider gave them. */
export const ChatCompletion = z
  .looseObject({ id: z.string(), object: z.string(), model: z.string(), choices: z.array(z.looseObject({})), usage: z.looseObject({}).optional() })
  .openapi("ChatCompletion", { description: "OpenAI's chat completion; with `stream: true`, `text/event-stream` of its chunks ending in `data: [DONE]`" });
export const Embeddings = z.looseObject({ object: z.literal("list"), data: z.array(z.looseObject({})), model: z.string() }).openapi("Embeddings");
export const Images = z.looseObject({ created: z.number(), data: z.array(z.looseObject({})) }).openapi("Images");
export const ModelList = z
  .object({
    object: z.literal("list"),
    data: z.array(
      z.object({
        id: z.string(),
        object: z.literal("model"),
        created: z.number(),
        owned_by: z.string(),
        priced: z.boolean().openapi({ description: "False when Lodge knows no price for it: its calls cost 0" }),
        pricing: z.object({ input_per_1m: z.number(), output_per_1m: z.number(), cached_input_per_1m: z.number().nullable() }).nullable(),
      }),
    ),
  })
  .openapi("ModelList");

export const OpenAiError = z
  .object({
    error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }),
    requestId: z.string(),
  })
  .openapi("OpenAiError");

const descriptions: Record<number, string> = {
  400: "Invalid request (malformed JSON, wrong fields, max_tokens above the limit, refused by the provider)",
  401: "Missing, invalid or revoked credentials",
  403: "Not allowed",
  404: "Unknown model",
  413: "Body too large",
  415: "Unsupported content type",
  429: "Rate limit or budget reached (see Retry-After and x-ratelimit-*)",
  502: "The provider failed",
  503: "No provider configured, or every provider of the model is failing (see Retry-After)",
  504: "The provider did not answer in time",
};

/** Error responses of an /ai/v1 route, in OpenAI's error body. */
export function openAiErrors(...statuses: (keyof typeof descriptions)[]) {
  const all = [...new Set<number>([...statuses, 400, 401, 403, 413, 415, 503])].sort();
  return Object.fromEntries(
    all.map((status) => [status, { description: descriptions[status] ?? "Error", content: { "application/json": { schema: OpenAiError } } }]),
  );
}
