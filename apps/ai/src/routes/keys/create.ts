import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse, safeText, userOf } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { createApiKey } from "../../services/create-api-key";
import { ApiKey, bearer, KeyLimits, keyView } from "../schemas";

const NewKey = z
  .object({
    name: safeText({ refuse: "format", min: 1, max: 100, trim: "first" }),
    expiresAt: z.iso.datetime({ offset: true }).optional().openapi({ description: "When the key stops working; never unless given" }),
    limits: KeyLimits.optional(),
  })
  .strict()
  .openapi("AiNewKey");

export const createKeyRoute = createRoute({
  method: "post",
  path: "/ai/keys",
  tags: ["keys"],
  summary: "Make an API key (`lk_…`) for OpenAI clients: the key is returned this once, only its hash is kept",
  security: bearer,
  request: { body: jsonBody(NewKey) },
  responses: {
    201: jsonResponse(ApiKey.extend({ key: z.string().openapi({ description: "The key itself, shown this once", example: "lk_…" }) }), "Created"),
    ...errorResponses(401, 403, 409),
  },
});

export const create =
  (deps: AiDeps): RouteHandler<typeof createKeyRoute, AppEnv> =>
  async (c) => {
    const { name, expiresAt, limits } = c.req.valid("json");
    const input = { userId: userOf(c).userId, name, limits, ...(expiresAt ? { expiresAt: new Date(expiresAt) } : {}) };
    const { row, key } = await createApiKey({ ctx: ctxOf(c, deps), input });
    return c.json({ ...keyView(row), key }, 201);
  };
