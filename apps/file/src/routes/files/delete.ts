import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { deleteFile } from "../../services/delete-file";
import { bearer, FileId } from "../schemas";

export const deleteFileRoute = createRoute({
  method: "delete",
  path: "/files/{id}",
  tags: ["files"],
  summary: "Delete a file and its variants (owner or admin)",
  security: bearer,
  request: { params: FileId },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});

export const remove =
  (deps: FileDeps): RouteHandler<typeof deleteFileRoute, AppEnv> =>
  async (c) => {
    await deleteFile({ ctx: ctxOf(c, deps), input: { id: c.req.valid("param").id, by: c.get("principal") } });
    return c.body(null, 204);
  };
