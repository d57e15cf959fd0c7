import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { getPreferences } from "../../services/get-preferences";
import { bearer, Preferences } from "../schemas";

export const getPreferencesRoute = createRoute({
  method: "get",
  path: "/notifications/preferences",
  tags: ["preferences"],
  summary: "The caller's effective notification matrix (category × channel) and where each value comes from",
  description:
    "`source` says why a value is what it is: `critical` (the category's notifications are always sent), `settings` (the channel is off in the user service's preferences, `PUT /users/me/preferences`, which win), `category` (the caller's choice here) or `default`. `channels`, `quietHours` and `timeZone` are the user service's, as this service last heard of them.",
  security: bearer,
  responses: { 200: jsonResponse(Preferences, "The effective preferences"), ...errorResponses(401, 403) },
});

export const readPreferences =
  (deps: NotificationDeps): RouteHandler<typeof getPreferencesRoute, AppEnv> =>
  async (c) =>
    c.json(await getPreferences({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId } }), 200);
