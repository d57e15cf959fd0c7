import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { fileView } from "../../helpers/views";
import { getFile } from "../../services/get-file";
import { bearer, File, FileId } from "../schemas";

export const getFileRoute = createRoute({
  method: "get",
  path: "/files/{id}",
  tags: ["files"],
  summary: "A file's metadata (owner, admin, or a client with files:read)",
  security: bearer,
  request: { params: FileId },
  responses: { 200: jsonResponse(File, "The file"), ...errorResponses(401, 403, 404) },
});

export const get =
  (deps: FileDeps): RouteHandler<typeof getFileRoute, AppEnv> =>
  async (c) => {
    const row = await getFile({ ctx: ctxOf(c, deps), input: { id: c.req.valid("param").id, by: c.get("principal") } });
    return c.json(fileView(row, deps.config), 200);
  };
