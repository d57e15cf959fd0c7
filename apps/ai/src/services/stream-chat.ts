import type { Ctx } from "../deps";
import type { Caller } from "../helpers/calls";
import { openCall, usageOf } from "../helpers/gateway-call";
import { routeCall } from "../helpers/routing";
import { chatInputTokens, textTokens } from "../helpers/tokens";
import type { Json } from "../providers/types";

const encoder = new TextEncoder();
const done = "data: [DONE]\n\n";
const interrupted = `data: ${JSON.stringify({ error: { message: "The provider's stream broke off", type: "server_error", param: null, code: "stream_interrupted" } })}\n\n`;

/**
 * A chat completion streamed as OpenAI's server-sent events. The upstream is always asked for
 * usage; its usage chunk reaches the caller only if the caller asked for it. Retries and
 * fallbacks happen until the first chunk is in hand; after that a failure ends the stream with an
 * error event. The call is settled once when the stream ends, fails or the caller goes away: with
 * the upstream's usage, else the tokenizer's count of what was streamed.
 */
export async function streamChat({ ctx, input }: { ctx: Ctx; input: { caller: Caller; body: Json; signal: AbortSignal } }) {
  const { body } = input;
  const call = await openCall(ctx, { caller: input.caller, kind: "chat", body, inputTokens: chatInputTokens(body.messages), stream: true });
  const streamOptions = (body.stream_options ?? {}) as Json;
  const callerWantsUsage = streamOptions.include_usage === true;
  const upstreamBody = { ...body, stream: true, stream_options: { ...streamOptions, include_usage: true } };
  const cancelled = new AbortController();
  const signal = AbortSignal.any([input.signal, cancelled.signal]);
  const started = performance.now();
  let routed: Awaited<ReturnType<typeof openStream>>;
  async function openStream() {
    return routeCall({
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
  }
  try {
    routed = await openStream();
  } catch (error) {
    await call.fail(error, signal);
    throw error;
  }
  const firstTokenMs = performance.now() - started;
  const { chunks } = routed.value;
  let pending: IteratorResult<Json> | undefined = routed.value.first;
  /** What was streamed, counted only when the upstream gives no usage. */
  const streamed: string[] = [];
  let usage: Json | undefined;

  const finish = (status: "ok" | "error" | "cancelled") => {
    routed.end();
    const counted = usageOf(usage);
    const tokens = counted ?? { inputTokens: call.plan.inputTokens, outputTokens: textTokens(streamed.join("")), cachedTokens: 0 };
    return call.settle({ ...tokens, deployment: routed.deployment, tokensFrom: counted ? "upstream" : "tokenizer", status, httpStatus: 200, firstTokenMs });
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
            await finish("ok");
            return;
          }
          const chunk = next.value;
          collectText(chunk, streamed);
          if (chunk.usage) usage = chunk.usage as Json;
          if (!callerWantsUsage) {
            // The usage chunk (no choices) was asked for by the gateway, not the caller; the others carry `usage: null` only when asked.
            if (chunk.usage && Array.isArray(chunk.choices) && chunk.choices.length === 0) continue;
            if (chunk.usage === null) delete chunk.usage;
          }
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
          return;
        }
      } catch {
        // Bytes already went out: the caller learns of the cut from an error event (the SDK raises it) instead of a [DONE].
        if (!signal.aborted) controller.enqueue(encoder.encode(interrupted));
        controller.close();
        await finish(signal.aborted ? "cancelled" : "error");
      }
    },
    async cancel() {
      cancelled.abort();
      await chunks.return?.();
      await finish("cancelled");
    },
  });
  return { events, headers: call.admission.headers };
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
