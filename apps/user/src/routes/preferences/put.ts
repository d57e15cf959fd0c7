import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, actingUserHeaders, actingUserOf, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { PreferencesDocument } from "../../helpers/preferences";
import { putPreferences } from "../../services/put-preferences";
import { bearer, forUser, PREFERENCES_SCOPE, PreferencesState } from "../schemas";

export const putPreferencesRoute = createRoute({
  method: "put",
  path: "/users/me/preferences",
  tags: ["preferences"],
  summary: "Replace your preferences",
  description:
    "Send the whole document and the `version` you read (0 before the first save). 409 with `details.currentVersion` if they were saved elsewhere since: read them again. Unknown keys are refused with 422 naming them. " +
    forUser,
  security: bearer,
  request: {
    headers: actingUserHeaders(PREFERENCES_SCOPE),
    body: jsonBody(z.object({ version: z.number().int().min(0).max(2_147_483_647), preferences: PreferencesDocument }).strict()),
  },
  responses: { 200: jsonResponse(PreferencesState, "Saved, with the new version"), ...errorResponses(401, 403, 404, 409) },
});

export const putPreferencesHandler =
  (deps: UserDeps): RouteHandler<typeof putPreferencesRoute, AppEnv> =>
  async (c) =>
    c.json(await putPreferences({ ctx: ctxOf(c, deps), input: { userId: actingUserOf(c, PREFERENCES_SCOPE), ...c.req.valid("json") } }), 200);
