import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { banUser } from "../../services/ban-user";
import { AdminUser, bearer, Reason } from "../schemas";
import { UserIdParams } from "./params";

export const banRoute = createRoute({
  method: "post",
  path: "/auth/users/{id}/ban",
  tags: ["admin"],
  summary: "Suspend an account (admins only)",
  description:
    "Revokes every session at once (access tokens stop working at every service within a second) and refuses login (403 `Account suspended` after a correct password) and refresh until the ban is lifted. Audited with the acting admin; publishes `auth.user_banned`.",
  security: bearer,
  request: {
    params: UserIdParams,
    body: { required: false, content: { "application/json": { schema: z.object({ reason: Reason.optional() }).strict() } } },
  },
  responses: { 200: jsonResponse(z.object({ user: AdminUser }), "The suspended user"), ...errorResponses(401, 403, 404) },
});

export const ban =
  (deps: AuthDeps): RouteHandler<typeof banRoute, AppEnv> =>
  async (c) => {
    const input = { actorId: userOf(c).userId, userId: c.req.valid("param").id, reason: c.req.valid("json")?.reason };
    return c.json({ user: await banUser({ ctx: ctxOf(c, deps), input }) }, 200);
  };
