import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, PageQuery, userOf } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { fileView } from "../../helpers/views";
import { listFiles } from "../../services/list-files";
import { bearer, File } from "../schemas";

export const listFilesRoute = createRoute({
  method: "get",
  path: "/files",
  tags: ["files"],
  summary: "The caller's files, newest first",
  security: bearer,
  request: {
    query: PageQuery,
  },
  responses: {
    200: jsonResponse(z.object({ files: z.array(File), nextCursor: z.uuid().nullable() }), "A page of files"),
    ...errorResponses(401, 403),
  },
});

export const list =
  (deps: FileDeps): RouteHandler<typeof listFilesRoute, AppEnv> =>
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    const page = await listFiles({ ctx: ctxOf(c, deps), input: { ownerId: userOf(c).userId, cursor, limit } });
    return c.json({ files: page.rows.map((row) => fileView(row, deps.config)), nextCursor: page.nextCursor }, 200);
  };
