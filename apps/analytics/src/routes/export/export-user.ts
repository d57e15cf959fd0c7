import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { exportUser } from "../../services/export-user";

export const exportUserRoute = createRoute({
  method: "get",
  path: "/analytics/export/{userId}",
  tags: ["internal"],
  summary: "A user's owned sites and events for the GDPR export (service clients with analytics:export)",
  security: [{ bearer: [] }],
  request: { params: z.object({ userId: z.uuid() }) },
  responses: {
    200: jsonResponse(
      z.object({
        userId: z.uuid(),
        sites: z.array(z.object({ id: z.uuid(), domain: z.string(), name: z.string(), createdAt: z.string() })),
        events: z.array(
          z.object({
            id: z.uuid(),
            ts: z.string(),
            name: z.string(),
            siteId: z.uuid().nullable(),
            props: z.record(z.string(), z.string()),
          }),
        ),
      }),
      "Everything the analytics service holds about the user",
    ),
    ...errorResponses(401, 403),
  },
});

export const exportUserData =
  (deps: AnalyticsDeps): RouteHandler<typeof exportUserRoute, AppEnv> =>
  async (c) =>
    c.json(await exportUser({ ctx: ctxOf(c, deps), input: { userId: c.req.valid("param").userId } }), 200);
