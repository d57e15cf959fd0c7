import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, PageQuery } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { listApiKeys } from "../../services/list-api-keys";
import { KeyPage } from "../keys/list";
import { bearer, keyView } from "../schemas";

export const adminKeysRoute = createRoute({
  method: "get",
  path: "/ai/admin/keys",
  tags: ["admin"],
  summary: "Every API key, or one user's, newest first (admins)",
  security: bearer,
  request: { query: PageQuery.extend({ userId: z.uuid().optional() }) },
  responses: { 200: jsonResponse(KeyPage, "A page of keys"), ...errorResponses(401, 403) },
});

export const adminKeys =
  (deps: AiDeps): RouteHandler<typeof adminKeysRoute, AppEnv> =>
  async (c) => {
    const page = await listApiKeys({ ctx: ctxOf(c, deps), input: c.req.valid("query") });
    return c.json({ keys: page.rows.map(keyView), nextCursor: page.nextCursor }, 200);
  };
