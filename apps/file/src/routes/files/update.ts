import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { fileView } from "../../helpers/views";
import { setPublic } from "../../services/set-public";
import { bearer, File, FileId } from "../schemas";

export const updateFileRoute = createRoute({
  method: "patch",
  path: "/files/{id}",
  tags: ["files"],
  summary: "Make a file public or private (owner, admin, or a client with files:write)",
  description:
    "Who made a file public is recorded. A service client (`files:write`) can make private only a file it made public itself; asked to unpublish one a person made public, it gets the file back unchanged (still `public: true`).",
  security: bearer,
  request: { params: FileId, body: jsonBody(z.object({ public: z.boolean() }).strict()) },
  responses: { 200: jsonResponse(File, "Updated"), ...errorResponses(401, 403, 404) },
});

export const update =
  (deps: FileDeps): RouteHandler<typeof updateFileRoute, AppEnv> =>
  async (c) => {
    const input = { id: c.req.valid("param").id, public: c.req.valid("json").public, by: c.get("principal") };
    const row = await setPublic({ ctx: ctxOf(c, deps), input });
    return c.json(fileView(row, deps.config), 200);
  };
