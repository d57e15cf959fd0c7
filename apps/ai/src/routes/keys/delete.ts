import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, userOf } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { revokeApiKey } from "../../services/revoke-api-key";
import { bearer } from "../schemas";

export const deleteKeyRoute = createRoute({
  method: "delete",
  path: "/ai/keys/{id}",
  tags: ["keys"],
  summary: "Revoke an API key: refused at once by every instance",
  security: bearer,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404) },
});

export const remove =
  (deps: AiDeps): RouteHandler<typeof deleteKeyRoute, AppEnv> =>
  async (c) => {
    await revokeApiKey({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, id: c.req.valid("param").id } });
    return c.body(null, 204);
  };
