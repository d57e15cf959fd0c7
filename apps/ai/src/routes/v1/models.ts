import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { listModels } from "../../services/list-models";
import { bearer, ModelList, openAiErrors } from "./schemas";

export const modelsRoute = createRoute({
  method: "get",
  path: "/ai/v1/models",
  tags: ["openai"],
  summary: "The models the caller may use, with their prices (OpenAI's API)",
  security: bearer,
  responses: { 200: jsonResponse(ModelList, "The models"), ...openAiErrors() },
});

export const models =
  (deps: AiDeps): RouteHandler<typeof modelsRoute, AppEnv> =>
  async (c) =>
    c.json(await listModels({ ctx: ctxOf(c, deps) }), 200);
