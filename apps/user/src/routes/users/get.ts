import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { getPublicProfile } from "../../services/get-public-profile";
import { bearer, PublicProfile } from "../schemas";

export const getUserRoute = createRoute({
  method: "get",
  path: "/users/{id}",
  tags: ["profile"],
  summary: "A user's public profile",
  description: "Display name, bio, avatar and since when; never the email, locale or time zone. Any signed-in user or service client.",
  security: bearer,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 200: jsonResponse(PublicProfile, "The public profile"), ...errorResponses(401, 403, 404) },
});

export const getUser =
  (deps: UserDeps): RouteHandler<typeof getUserRoute, AppEnv> =>
  async (c) =>
    c.json(await getPublicProfile({ ctx: ctxOf(c, deps), input: { userId: c.req.valid("param").id } }), 200);
