import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { getPreferences } from "../../services/get-preferences";
import { bearer, PreferencesState } from "../schemas";

export const getPreferencesRoute = createRoute({
  method: "get",
  path: "/users/me/preferences",
  tags: ["preferences"],
  summary: "Your preferences",
  description: "The defaults with `version: 0` until the first PUT.",
  security: bearer,
  responses: { 200: jsonResponse(PreferencesState, "The preferences and their version"), ...errorResponses(401, 403) },
});

export const getPreferencesHandler =
  (deps: UserDeps): RouteHandler<typeof getPreferencesRoute, AppEnv> =>
  async (c) =>
    c.json(await getPreferences({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId } }), 200);
