import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse, userOf } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { updateProfile } from "../../services/update-profile";
import { bearer, Profile, ProfilePatch } from "../schemas";

export const updateMeRoute = createRoute({
  method: "patch",
  path: "/users/me",
  tags: ["profile"],
  summary: "Change your profile (only the fields sent)",
  description:
    "`avatarFileId` must be a JPEG, PNG, WebP, AVIF or GIF file you uploaded to the file service (422 otherwise, also for a file whose upload event has not reached this service yet); it is made public so the avatar URLs work without a token. Publishes `user.profile_updated` with the fields that changed.",
  security: bearer,
  request: { body: jsonBody(ProfilePatch) },
  responses: { 200: jsonResponse(Profile, "The updated profile"), ...errorResponses(401, 403) },
});

export const updateMe =
  (deps: UserDeps): RouteHandler<typeof updateMeRoute, AppEnv> =>
  async (c) =>
    c.json(await updateProfile({ ctx: ctxOf(c, deps), input: { userId: userOf(c).userId, patch: c.req.valid("json") } }), 200);
