import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, jsonBody, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { cacheKeyOf } from "../../helpers/response-cache";
import { completeChat } from "../../services/complete-chat";
import { streamChat } from "../../services/stream-chat";
import { callerIn } from "./caller";
import { bearer, ChatCompletion, ChatRequest, openAiErrors } from "./schemas";

export const chatCompletionsRoute = createRoute({
  method: "post",
  path: "/ai/v1/chat/completions",
  tags: ["openai"],
  summary: "A chat completion (OpenAI's API), or with `stream: true` its chunks as server-sent events",
  security: bearer,
  request: { body: jsonBody(ChatRequest) },
  responses: { 200: jsonResponse(ChatCompletion, "The completion"), ...openAiErrors(404, 429, 502, 504) },
});

const streamHeaders = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" };

export const chatCompletions =
  (deps: AiDeps): RouteHandler<typeof chatCompletionsRoute, AppEnv> =>
  async (c) => {
    const caller = callerIn(c);
    const body = c.req.valid("json");
    const input = { caller, body, signal: c.req.raw.signal, cacheKey: cacheKeyOf(caller, "chat", body, c.req.raw.headers) };
    const ctx = ctxOf(c, deps);
    if (input.body.stream === true) {
      const { events, headers } = await streamChat({ ctx, input });
      return c.body(events, 200, { ...headers, ...streamHeaders }) as never;
    }
    const { answer, text, headers } = await completeChat({ ctx, input });
    // The upstream's JSON as it came, when the provider kept it (not serialized again).
    if (text !== undefined) return c.body(text, 200, { ...headers, "content-type": "application/json" }) as never;
    return c.json(answer as never, 200, headers);
  };
