import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { Stream } from "openai/streaming";
import type { Ctx } from "../deps";

/** What the model is told before the conversation: where its answer is shown. */
const SYSTEM_PROMPT =
  "You are Lodge's assistant, answering in a Telegram chat. Be concise. Format with simple Markdown only " +
  "(bold, italic, inline code, fenced code blocks, links, lists); no tables, headings or HTML.";

/**
 * A linked user's question to the AI service (`/ai/v1/chat/completions`, streamed), with the
 * bot's client token and `X-Lodge-User`, so that user's limits and budget apply; yields the
 * answer's text as it comes. Errors are the OpenAI SDK's (the AI service speaks OpenAI's errors).
 * A token the AI service refuses (401: auth rotated its key) is replaced once. No first byte, or no
 * next chunk, within BOT_SERVICE_TIMEOUT_MS is a timeout (APIConnectionTimeoutError); `signal`
 * abandons the answer (APIUserAbortError).
 */
export async function* streamAnswer({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { userId: string; history: ChatCompletionMessageParam[]; question: string; signal: AbortSignal };
}): AsyncGenerator<string> {
  const { env, services } = ctx.deps;
  if (!services) throw new Error("the bot has no client secret: it cannot reach the AI service");
  const idle = new AbortController();
  const signal = AbortSignal.any([input.signal, idle.signal]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waitForNext = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), env.BOT_SERVICE_TIMEOUT_MS);
  };

  const request = {
    model: env.BOT_ASK_MODEL,
    messages: [{ role: "system" as const, content: SYSTEM_PROMPT }, ...input.history, { role: "user" as const, content: input.question }],
    max_completion_tokens: env.BOT_ASK_MAX_OUTPUT_TOKENS,
    stream: true as const,
  };
  try {
    waitForNext();
    let token = await services.token({ requestId: ctx.requestId });
    let stream: Stream<ChatCompletionChunk>;
    try {
      stream = await clientFor(ctx, input.userId, token).chat.completions.create(request, { signal });
    } catch (error) {
      if (!(error instanceof OpenAI.AuthenticationError)) throw error;
      token = await services.token({ requestId: ctx.requestId, refused: token });
      stream = await clientFor(ctx, input.userId, token).chat.completions.create(request, { signal });
    }
    for await (const chunk of stream) {
      waitForNext();
      const text = chunk.choices[0]?.delta?.content;
      if (text) yield text;
    }
  } catch (error) {
    if (idle.signal.aborted && !input.signal.aborted) throw new OpenAI.APIConnectionTimeoutError();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The official SDK pointed at the AI service, as this user (no retries: a refusal is the user's to see, and the SDK's timeout is the first byte's). */
function clientFor(ctx: Ctx, userId: string, token: string) {
  const { env } = ctx.deps;
  return new OpenAI({
    apiKey: token,
    baseURL: `${env.AI_URL}/ai/v1`,
    maxRetries: 0,
    timeout: env.BOT_SERVICE_TIMEOUT_MS,
    defaultHeaders: { "x-lodge-user": userId, ...(ctx.requestId ? { "x-request-id": ctx.requestId } : {}) },
  });
}
