import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, jsonBody, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { generateImages } from "../../services/generate-images";
import { callerIn } from "./caller";
import { bearer, Images, ImagesRequest, openAiErrors } from "./schemas";

export const imagesRoute = createRoute({
  method: "post",
  path: "/ai/v1/images/generations",
  tags: ["openai"],
  summary: "Images from a prompt (OpenAI's API), made by the model's provider",
  security: bearer,
  request: { body: jsonBody(ImagesRequest) },
  responses: { 200: jsonResponse(Images, "The images (URLs or base64)"), ...openAiErrors(404, 429, 502, 504) },
});

export const images =
  (deps: AiDeps): RouteHandler<typeof imagesRoute, AppEnv> =>
  async (c) => {
    const input = { caller: callerIn(c), body: c.req.valid("json"), signal: c.req.raw.signal };
    const { answer, headers } = await generateImages({ ctx: ctxOf(c, deps), input });
    return c.json(answer as never, 200, headers);
  };
