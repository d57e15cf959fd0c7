import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, errorResponses, jsonResponse } from "@lodge/kit";
import type { AuthDeps } from "../../deps";

export const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["keys"],
  summary: "Public keys that verify access tokens",
  responses: { 200: jsonResponse(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), "JSON Web Key Set"), ...errorResponses() },
});

export const jwks =
  (deps: AuthDeps): RouteHandler<typeof jwksRoute, AppEnv> =>
  async (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json(await deps.keys.jwks(), 200);
  };
