import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse, userOf } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { changeRole } from "../../services/change-role";
import { AdminUser, bearer } from "../schemas";
import { UserIdParams } from "./params";

export const changeRoleRoute = createRoute({
  method: "patch",
  path: "/auth/users/{id}/role",
  tags: ["admin"],
  summary: "Set a user's role (admins only)",
  description:
    "Audited with the acting admin; publishes `auth.role_changed`. A demotion revokes the user's sessions at once; a promotion applies from the user's next refresh. Admins cannot change their own role.",
  security: bearer,
  request: { params: UserIdParams, body: jsonBody(z.object({ role: z.enum(["user", "admin"]) }).strict()) },
  responses: { 200: jsonResponse(z.object({ user: AdminUser }), "The user with the new role"), ...errorResponses(401, 403, 404) },
});

export const changeRoleHandler =
  (deps: AuthDeps): RouteHandler<typeof changeRoleRoute, AppEnv> =>
  async (c) => {
    const input = { actorId: userOf(c).userId, userId: c.req.valid("param").id, role: c.req.valid("json").role };
    return c.json({ user: await changeRole({ ctx: ctxOf(c, deps), input }) }, 200);
  };
