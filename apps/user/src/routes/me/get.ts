import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, actingUserHeaders, actingUserOf, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { ownProfile } from "../../helpers/present-profile";
import { ensureProfile } from "../../services/ensure-profile";
import { bearer, forUser, PREFERENCES_SCOPE, Profile } from "../schemas";

export const getMeRoute = createRoute({
  method: "get",
  path: "/users/me",
  tags: ["profile"],
  summary: "Your profile",
  description: `Created on first read if auth's \`user.registered\` has not arrived yet. 401 once the account's deletion has been requested. ${forUser}`,
  security: bearer,
  request: { headers: actingUserHeaders(PREFERENCES_SCOPE) },
  responses: { 200: jsonResponse(Profile, "The signed-in user's profile"), ...errorResponses(401, 403, 404) },
});

export const getMe =
  (deps: UserDeps): RouteHandler<typeof getMeRoute, AppEnv> =>
  async (c) => {
    const profile = await ensureProfile({ ctx: ctxOf(c, deps), input: { userId: actingUserOf(c, PREFERENCES_SCOPE) } });
    return c.json(ownProfile(profile, deps.config), 200);
  };
