import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { unbanUser } from "../../services/unban-user";
import { AdminUser, bearer } from "../schemas";
import { UserIdParams } from "./params";

export const unbanRoute = createRoute({
  method: "delete",
  path: "/auth/users/{id}/ban",
  tags: ["admin"],
  summary: "Lift a suspension (admins only)",
  description: "Audited with the acting admin; publishes `auth.user_banned` with `banned: false`. The user signs in again as usual.",
  security: bearer,
  request: { params: UserIdParams },
  responses: { 200: jsonResponse(z.object({ user: AdminUser }), "The user, no longer suspended"), ...errorResponses(401, 403, 404) },
});

export const unban =
  (deps: AuthDeps): RouteHandler<typeof unbanRoute, AppEnv> =>
  async (c) => {
    const input = { actorId: userOf(c).userId, userId: c.req.valid("param").id };
    return c.json({ user: await unbanUser({ ctx: ctxOf(c, deps), input }) }, 200);
  };
