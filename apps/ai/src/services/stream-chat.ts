import type { Ctx } from "../deps";
import type { Caller } from "../helpers/calls";
import { type OpenCall, openCall, usageOf } from "../helpers/gateway-call";
import type { Deployment } from "../helpers/registry";
import { routeCall } from "../helpers/routing";
import { chatInputTokens, textTokens } from "../helpers/tokens";
import type { Json, StreamChunk } from "../providers/types";

const encoder = new TextEncoder();
const done = "data: [DONE]\n\n";
const interrupted = `data: ${JSON.stringify({ error: { message: "The provider's stream broke off", type: "server_error", param: null, code: "stream_interrupted" } })}\n\n`;

/** Where a stream's chunks come from: the upstream (a deployment), or the response cache (no deployment). */
type Source = { chunks: Iterator<StreamChunk> | AsyncIterator<StreamChunk>; first?: IteratorResult<StreamChunk>; deployment: Deployment | null; end(): void };

/**
 * A chat completion streamed as OpenAI's server-sent events. The upstream is always asked for
 * usage; its usage chunk reaches the caller only if the caller asked for it. Retries and
 * fallbacks happen until the first chunk is in hand; after that a failure ends the stream with an
 * error event. The call is settled once when the stream ends, fails or the caller goes away: with
 * the upstream's usage, else the tokenizer's count of what was streamed. A cache hit replays the
 * stored chunks through the same steps; on a miss, a stream that ended normally is stored.
 */
export async function streamChat({ ctx, input }: { ctx: Ctx; input: { caller: Caller; body: Json; signal: AbortSignal; cacheKey: string | null } }) {
  const { body } = input;
  const inputTokens = chatInputTokens(body.messages);
  const call = await openCall(ctx, { ...input, kind: "chat", inputTokens, stream: true });
  const streamOptions = (body.stream_options ?? {}) as Json;
  const callerWantsUsage = streamOptions.include_usage === true;
  const cancelled = new AbortController();
  const signal = AbortSignal.any([input.signal, cancelled.signal]);
  const started = performance.now();
  let source: Source;
  try {
    source =
      call.hit?.type === "stream"
        ? { chunks: call.hit.chunks.map((chunk) => ({ chunk })).values(), deployment: null, end: () => {} }
        : await openUpstream(ctx, call, { ...body, stream: true, stream_options: { ...streamOptions, include_usage: true } }, signal);
  } catch (error) {
    call.fail(error, signal);
    throw error;
  }
  const firstTokenMs = performance.now() - started;
  const { chunks, deployment } = source;
  let pending = source.first;
  /** What was streamed, counted only when the upstream gives no usage. */
  const streamed: string[] = [];
  let usage: Json | undefined;
  /** The chunks as the upstream sent them, for the cache (dropped once larger than an entry may be). */
  let kept: StreamChunk[] | null = call.keeps ? [] : null;
  let keptBytes = 0;

  const finish = (status: "ok" | "error" | "cancelled") => {
    source.end();
    const counted = usageOf(usage);
    const tokens = counted ?? { inputTokens: inputTokens.count(), outputTokens: textTokens(streamed.join("")), cachedTokens: 0 };
    const ending = { ...tokens, deployment, tokensFrom: counted ? "upstream" : "tokenizer", status, httpStatus: 200, firstTokenMs } as const;
    return call.settle(ending, status === "ok" && kept ? { type: "stream", chunks: kept } : undefined);
  };

  const events = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const next = pending ?? (await chunks.next());
          pending = undefined;
          if (next.done) {
            controller.enqueue(encoder.encode(done));
            controller.close();
            finish("ok");
            return;
          }
          const { chunk, text } = next.value;
          collectText(chunk, streamed);
          if (chunk.usage) usage = chunk.usage as Json;
          const shown = shownTo(chunk, text, callerWantsUsage);
          const line = shown === null ? null : `data: ${shown}\n\n`;
          if (kept) {
            kept.push(next.value);
            keptBytes += text?.length ?? line?.length ?? 0;
            if (keptBytes > ctx.deps.env.AI_CACHE_MAX_ENTRY_BYTES) kept = null;
          }
          if (!line) continue;
          controller.enqueue(encoder.encode(line));
          return;
        }
      } catch {
        // Bytes already went out: the caller learns of the cut from an error event (the SDK raises it) instead of a [DONE].
        if (!signal.aborted) controller.enqueue(encoder.encode(interrupted));
        controller.close();
        finish(signal.aborted ? "cancelled" : "error");
      }
    },
    async cancel() {
      cancelled.abort();
      await chunks.return?.();
      finish("cancelled");
    },
  });
  return { events, headers: call.headers };
}

/** The stream from the first deployment that gives a first chunk (routing's retries and fallbacks). */
async function openUpstream(ctx: Ctx, call: OpenCall, upstreamBody: Json, signal: AbortSignal): Promise<Source> {
  const routed = await routeCall({
    deps: ctx.deps,
    alias: call.alias,
    signal,
    call: async (deployment, attempt) => {
      const chunks = deployment.provider.chatStream({ body: { ...upstreamBody, model: deployment.model }, signal: attempt.signal })[Symbol.asyncIterator]();
      const first = await chunks.next();
      attempt.gotFirstToken();
      return { chunks, first };
    },
  });
  return { ...routed.value, deployment: routed.deployment, end: routed.end };
}

/** How a chunk whose last member is its `usage: null` ends, as OpenAI writes it. */
const usageNullEnd = ',"usage":null}';

/**
 * A chunk's JSON as the caller sees it: the upstream's text as it came when there is one, else
 * serialized. The usage chunk (no choices) and the `usage: null` of the others were asked for by
 * the gateway, not the caller, unless it asked too (null: nothing to send).
 */
function shownTo(chunk: Json, text: string | undefined, callerWantsUsage: boolean): string | null {
  if (callerWantsUsage || chunk.usage === undefined) return text ?? JSON.stringify(chunk);
  if (chunk.usage && Array.isArray(chunk.choices) && chunk.choices.length === 0) return null;
  if (chunk.usage !== null) return text ?? JSON.stringify(chunk);
  // The text ending in `,"usage":null}` is the top-level member (the parsed chunk's usage is null): cut out as is.
  if (text?.endsWith(usageNullEnd)) return `${text.slice(0, -usageNullEnd.length)}}`;
  const { usage: _, ...rest } = chunk;
  return JSON.stringify(rest);
}

/** The text a chunk adds (content, refusals, tool call arguments), for the tokenizer's count. */
function collectText(chunk: Json, into: string[]) {
  const choices = chunk.choices as { delta?: { content?: unknown; refusal?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[] | undefined;
  if (!Array.isArray(choices)) return;
  for (const choice of choices) {
    const delta = choice.delta;
    if (!delta) continue;
    if (typeof delta.content === "string") into.push(delta.content);
    if (typeof delta.refusal === "string") into.push(delta.refusal);
    for (const tool of delta.tool_calls ?? []) if (typeof tool.function?.arguments === "string") into.push(tool.function.arguments);
  }
}
