import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { exportUserData } from "../../services/export-user-data";
import { bearer } from "../schemas";

const Export = z
  .object({
    exportedAt: z.string(),
    userId: z.uuid(),
    services: z.object({
      user: z.object({ profile: z.unknown(), preferences: z.unknown(), knownFiles: z.array(z.unknown()) }),
      auth: z.unknown().openapi({ description: "Account (no password hash), sessions, audit entries" }),
      file: z.unknown().openapi({ description: "Files' metadata" }),
      notification: z.unknown().openapi({ description: "Notifications, their deliveries and the address copy" }),
      ai: z.unknown().openapi({ description: "AI keys (no hashes), limit overrides, usage records and jobs" }),
      analytics: z.unknown().openapi({ description: "Sites owned and the events tied to the user (product events)" }),
    }),
  })
  .openapi("Export");

export const exportMeRoute = createRoute({
  method: "get",
  path: "/users/me/export",
  tags: ["profile"],
  summary: "Everything Lodge holds about you, as one JSON document",
  description: "Gathered from every service at the time of the request (served as an attachment). 503 if one of them cannot answer: never a partial export.",
  security: bearer,
  responses: { 200: jsonResponse(Export, "The export"), ...errorResponses(401, 403) },
});

export const exportMe =
  (deps: UserDeps): RouteHandler<typeof exportMeRoute, AppEnv> =>
  async (c) => {
    const { userId } = userOf(c);
    const data = await exportUserData({ ctx: ctxOf(c, deps), input: { userId } });
    c.header("Content-Disposition", `attachment; filename="lodge-export-${userId}.json"`);
    c.header("Cache-Control", "no-store");
    return c.json(data, 200);
  };
