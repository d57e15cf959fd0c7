import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, actingUserHeaders, actingUserOf, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { getPreferences } from "../../services/get-preferences";
import { bearer, forUser, PREFERENCES_SCOPE, PreferencesState } from "../schemas";

export const getPreferencesRoute = createRoute({
  method: "get",
  path: "/users/me/preferences",
  tags: ["preferences"],
  summary: "Your preferences",
  description: `The defaults with \`version: 0\` until the first PUT. ${forUser}`,
  security: bearer,
  request: { headers: actingUserHeaders(PREFERENCES_SCOPE) },
  responses: { 200: jsonResponse(PreferencesState, "The preferences and their version"), ...errorResponses(401, 403, 404) },
});

export const getPreferencesHandler =
  (deps: UserDeps): RouteHandler<typeof getPreferencesRoute, AppEnv> =>
  async (c) =>
    c.json(await getPreferences({ ctx: ctxOf(c, deps), input: { userId: actingUserOf(c, PREFERENCES_SCOPE) } }), 200);
