import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { ownProfile } from "../../helpers/present-profile";
import { ensureProfile } from "../../services/ensure-profile";
import { bearer, Profile } from "../schemas";

export const getMeRoute = createRoute({
  method: "get",
  path: "/users/me",
  tags: ["profile"],
  summary: "Your profile",
  description: "Created on first read if auth's `user.registered` has not arrived yet. 401 once the account's deletion has been requested.",
  security: bearer,
  responses: { 200: jsonResponse(Profile, "The signed-in user's profile"), ...errorResponses(401, 403) },
});

export const getMe =
  (deps: UserDeps): RouteHandler<typeof getMeRoute, AppEnv> =>
  async (c) => {
    const profile = await ensureProfile({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId } });
    return c.json(ownProfile(profile, deps.config), 200);
  };
