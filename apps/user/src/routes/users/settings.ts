import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { getNotificationSettings } from "../../services/get-notification-settings";
import { bearer, NotificationSettings } from "../schemas";

/** The client scope that may read a user's notification settings (the notification service's). */
export const SETTINGS_SCOPE = "users:settings";

export const getSettingsRoute = createRoute({
  method: "get",
  path: "/users/{id}/settings",
  tags: ["preferences"],
  summary: `A user's notification settings (service clients with ${SETTINGS_SCOPE})`,
  description:
    "Locale, time zone, language, per-channel defaults and quiet hours, for a service whose copy kept from `user.profile_updated` and `user.preferences_updated` misses the user. `version` is the preferences' revision (0: never saved, the defaults). 404 for an unknown account or one being deleted.",
  security: bearer,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 200: jsonResponse(NotificationSettings, "The user's notification settings"), ...errorResponses(401, 403, 404) },
});

export const getSettings =
  (deps: UserDeps): RouteHandler<typeof getSettingsRoute, AppEnv> =>
  async (c) =>
    c.json(await getNotificationSettings({ ctx: ctxOf(c, deps), input: { userId: c.req.valid("param").id } }), 200);
