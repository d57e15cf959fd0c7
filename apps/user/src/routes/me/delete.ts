import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse, userOf } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { requestDeletion } from "../../services/request-deletion";
import { bearer } from "../schemas";

export const deleteMeRoute = createRoute({
  method: "delete",
  path: "/users/me",
  tags: ["profile"],
  summary: "Delete your account and all its data",
  description:
    "Send `{password}`, or no body with an access token whose `auth_time` (the last sign-in with a password, which a refresh keeps) is within the last 5 minutes (sign in again first). Answers 202 and publishes `user.deletion_requested`: auth revokes every session and deletes the account, the file service deletes the files, this service the profile; when all have acknowledged, `user.deleted` is published. Asking again answers 202 with the same deletion; every other /users/me route answers 401 from the moment it is requested.",
  security: bearer,
  request: {
    body: {
      required: false,
      content: { "application/json": { schema: z.object({ password: z.string().min(1).max(256) }).strict() } },
    },
  },
  responses: {
    202: jsonResponse(z.object({ deletion: z.object({ requestedAt: z.string(), pending: z.array(z.string()) }) }), "Deletion under way"),
    ...errorResponses(401, 403, 429),
  },
});

export const deleteMe =
  (deps: UserDeps): RouteHandler<typeof deleteMeRoute, AppEnv> =>
  async (c) => {
    const principal = userOf(c);
    const input = { userId: principal.userId, password: c.req.valid("json")?.password, authTime: principal.authTime };
    return c.json({ deletion: await requestDeletion({ ctx: ctxOf(c, deps), input }) }, 202);
  };
