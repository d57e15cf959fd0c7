import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, PageQuery, userOf } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { listApiKeys } from "../../services/list-api-keys";
import { ApiKey, bearer, keyView } from "../schemas";

export const KeyPage = z.object({ keys: z.array(ApiKey), nextCursor: z.uuid().nullable() }).openapi("AiKeyPage");

export const listKeysRoute = createRoute({
  method: "get",
  path: "/ai/keys",
  tags: ["keys"],
  summary: "The user's API keys (revoked ones too), newest first",
  security: bearer,
  request: { query: PageQuery },
  responses: { 200: jsonResponse(KeyPage, "A page of keys"), ...errorResponses(401, 403) },
});

export const list =
  (deps: AiDeps): RouteHandler<typeof listKeysRoute, AppEnv> =>
  async (c) => {
    const page = await listApiKeys({ ctx: ctxOf(c, deps), input: { ...c.req.valid("query"), userId: userOf(c).userId } });
    return c.json({ keys: page.rows.map(keyView), nextCursor: page.nextCursor }, 200);
  };
