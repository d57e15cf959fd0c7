import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { AuthDeps } from "../../deps";
import { getCurrentSession } from "../../services/get-current-session";
import { bearer, Session, User } from "../schemas";

export const meRoute = createRoute({
  method: "get",
  path: "/auth/me",
  tags: ["auth"],
  summary: "The signed-in user and session",
  security: bearer,
  responses: { 200: jsonResponse(z.object({ user: User, session: Session }), "The bearer's user and session"), ...errorResponses(401, 403) },
});

export const me =
  (deps: AuthDeps): RouteHandler<typeof meRoute, AppEnv> =>
  async (c) => {
    const { user, session } = await getCurrentSession({ ctx: ctxOf(c, deps), input: userOf(c) });
    return c.json({ user, session }, 200);
  };
