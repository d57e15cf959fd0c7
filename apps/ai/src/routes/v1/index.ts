import { createRouter } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { requireCaller } from "./caller";
import { chatCompletions, chatCompletionsRoute } from "./chat-completions";
import { embeddings, embeddingsRoute } from "./embeddings";
import { images, imagesRoute } from "./images";
import { models, modelsRoute } from "./models";

/** The OpenAI-compatible API: its errors are rendered in OpenAI's body (the service's `dialect`). */
export function openAiRoutes(deps: AiDeps) {
  const middleware = requireCaller(deps);
  const router = createRouter();
  router.openapi({ ...chatCompletionsRoute, middleware }, chatCompletions(deps));
  router.openapi({ ...embeddingsRoute, middleware }, embeddings(deps));
  router.openapi({ ...imagesRoute, middleware }, images(deps));
  router.openapi({ ...modelsRoute, middleware }, models(deps));
  return router;
}
