import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse, userOf } from "@lodge/kit";
import type { NotificationDeps } from "../../deps";
import { setPreferences } from "../../services/set-preferences";
import { bearer, CategoryChoices, Preferences } from "../schemas";

export const putPreferencesRoute = createRoute({
  method: "put",
  path: "/notifications/preferences",
  tags: ["preferences"],
  summary: "Turn categories on or off per channel",
  description:
    "Only the categories and channels given change; `null` returns one to its default. Unknown categories or channels are refused (422). Turning off a category whose notifications are critical (security, account) is a 409 and changes nothing.",
  security: bearer,
  request: { body: jsonBody(CategoryChoices) },
  responses: { 200: jsonResponse(Preferences, "The effective preferences after the change"), ...errorResponses(401, 403, 409) },
});

export const writePreferences =
  (deps: NotificationDeps): RouteHandler<typeof putPreferencesRoute, AppEnv> =>
  async (c) =>
    c.json(await setPreferences({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, categories: c.req.valid("json").categories } }), 200);
