import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { authorizedFile } from "../../helpers/access";
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
    const ctx = ctxOf(c, deps);
    const file = await authorizedFile(ctx, c.req.valid("param").id, c.get("principal"), "manage");
    await deleteFile({ ctx, input: { file } });
    return c.body(null, 204);
  };
