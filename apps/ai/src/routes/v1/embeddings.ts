import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, jsonBody, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { cacheKeyOf } from "../../helpers/response-cache";
import { createEmbeddings } from "../../services/create-embeddings";
import { callerIn } from "./caller";
import { bearer, Embeddings, EmbeddingsRequest, openAiErrors } from "./schemas";

export const embeddingsRoute = createRoute({
  method: "post",
  path: "/ai/v1/embeddings",
  tags: ["openai"],
  summary: "Embeddings of a text or a list of texts (OpenAI's API)",
  security: bearer,
  request: { body: jsonBody(EmbeddingsRequest) },
  responses: { 200: jsonResponse(Embeddings, "The embeddings"), ...openAiErrors(404, 429, 502, 504) },
});

export const embeddings =
  (deps: AiDeps): RouteHandler<typeof embeddingsRoute, AppEnv> =>
  async (c) => {
    const caller = callerIn(c);
    const body = c.req.valid("json");
    const input = { caller, body, signal: c.req.raw.signal, cacheKey: cacheKeyOf(caller, "embeddings", body, c.req.raw.headers) };
    const { answer, headers } = await createEmbeddings({ ctx: ctxOf(c, deps), input });
    return c.json(answer as never, 200, headers);
  };
