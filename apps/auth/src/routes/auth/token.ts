import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { issueClientToken } from "../../services/issue-client-token";

const ScopeList = z
  .string()
  .max(1000)
  .regex(/^[\w:.-]+( [\w:.-]+)*$/, "space-separated scope names");

export const tokenRoute = createRoute({
  method: "post",
  path: "/auth/token",
  tags: ["auth"],
  summary: "Client credentials: a token for service-to-service calls",
  request: {
    body: jsonBody(z.object({ clientId: z.string().min(1).max(128), clientSecret: z.string().min(1).max(512), scope: ScopeList.optional() }).strict()),
  },
  responses: {
    200: jsonResponse(z.object({ accessToken: z.string(), tokenType: z.literal("Bearer"), expiresIn: z.number().int(), scope: z.string() }), "Access token"),
    ...errorResponses(401, 403, 429),
  },
});

export const token =
  (deps: AuthDeps): RouteHandler<typeof tokenRoute, AppEnv> =>
  async (c) =>
    c.json(await issueClientToken({ ctx: ctxOf(c, deps), input: c.req.valid("json") }), 200);
