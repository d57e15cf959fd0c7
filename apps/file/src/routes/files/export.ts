import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { exportUser } from "../../services/export-user";
import { bearer, File } from "../schemas";

export const exportRoute = createRoute({
  method: "get",
  path: "/files/export/{userId}",
  tags: ["internal"],
  summary: "A user's file metadata for the GDPR export (service clients with files:export)",
  security: bearer,
  request: { params: z.object({ userId: z.uuid() }) },
  responses: {
    200: jsonResponse(
      z.object({
        userId: z.uuid(),
        files: z.array(File),
        uploads: z.array(
          z.object({
            id: z.uuid(),
            length: z.number().int(),
            offset: z.number().int(),
            name: z.string().nullable(),
            createdAt: z.string(),
            expiresAt: z.string(),
          }),
        ),
      }),
      "Everything the file service holds about the user",
    ),
    ...errorResponses(401, 403),
  },
});

export const exportFiles =
  (deps: FileDeps): RouteHandler<typeof exportRoute, AppEnv> =>
  async (c) =>
    c.json(await exportUser({ ctx: ctxOf(c, deps), input: { userId: c.req.valid("param").userId } }), 200);
