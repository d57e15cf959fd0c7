import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { signedUrl } from "../../services/signed-url";
import { bearer, FileId } from "../schemas";

export const signedUrlRoute = (maxSeconds: number) =>
  createRoute({
    method: "post",
    path: "/files/{id}/signed-url",
    tags: ["files"],
    summary: "A URL to the content that works without a token until it expires (for <img src> and sharing)",
    security: bearer,
    request: {
      params: FileId,
      body: jsonBody(z.object({ expiresIn: z.number().int().min(1).max(maxSeconds).default(3600).openapi({ description: "Seconds" }) }).strict()),
    },
    responses: {
      200: jsonResponse(z.object({ url: z.string(), expiresAt: z.string() }), "The signed URL; add w, h, fit, format, q for a variant"),
      ...errorResponses(401, 403, 404),
    },
  });

export const sign =
  (deps: FileDeps): RouteHandler<ReturnType<typeof signedUrlRoute>, AppEnv> =>
  async (c) => {
    const input = { id: c.req.valid("param").id, expiresIn: c.req.valid("json").expiresIn, by: c.get("principal") };
    const { url, expiresAt } = await signedUrl({ ctx: ctxOf(c, deps), input });
    return c.json({ url, expiresAt }, 200);
  };
