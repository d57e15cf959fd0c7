import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { exportUser } from "../../services/export-user";
import { AdminUser, bearer } from "../schemas";
import { UserIdParams } from "./params";

export const EXPORT_SCOPE = "users:export";

const AuthExport = z
  .object({
    user: AdminUser.extend({ updatedAt: z.string(), emailVerifiedAt: z.string().nullable() }),
    sessions: z.array(
      z.object({
        id: z.uuid(),
        createdAt: z.string(),
        lastUsedAt: z.string(),
        expiresAt: z.string(),
        revokedAt: z.string().nullable(),
        revokedReason: z.string().nullable(),
        ip: z.string().nullable(),
        userAgent: z.string().nullable(),
      }),
    ),
    auditLog: z.array(
      z.object({
        at: z.string(),
        action: z.string(),
        userId: z.string().nullable(),
        actorId: z.string().nullable(),
        ip: z.string().nullable(),
        userAgent: z.string().nullable(),
        details: z.unknown(),
      }),
    ),
    oneTimeTokens: z.array(z.object({ purpose: z.string(), email: z.string(), createdAt: z.string(), expiresAt: z.string(), usedAt: z.string().nullable() })),
  })
  .openapi("AuthExport");

export const exportRoute = createRoute({
  method: "get",
  path: "/auth/users/{id}/export",
  tags: ["internal"],
  summary: "Everything auth holds about a user (service clients with `users:export`)",
  description: "For the user service's data export: the account without the password hash, every session, the audit entries, one-time token metadata.",
  security: bearer,
  request: { params: UserIdParams },
  responses: { 200: jsonResponse(AuthExport, "The user's auth data"), ...errorResponses(401, 403, 404) },
});

export const exportHandler =
  (deps: AuthDeps): RouteHandler<typeof exportRoute, AppEnv> =>
  async (c) =>
    c.json(await exportUser({ ctx: ctxOf(c, deps), input: { userId: c.req.valid("param").id } }), 200);
