import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { BotDeps } from "../../deps";
import { listInvites } from "../../services/list-invites";
import { bearer, Invite, inviteView } from "../schemas";

export const listInvitesRoute = createRoute({
  method: "get",
  path: "/bot/invites",
  tags: ["invites"],
  summary: "The invite codes, newest first, with their uses (admins)",
  security: bearer,
  responses: { 200: jsonResponse(z.object({ invites: z.array(Invite) }), "The invites (the newest 500)"), ...errorResponses(401, 403) },
});

export const list =
  (deps: BotDeps): RouteHandler<typeof listInvitesRoute, AppEnv> =>
  async (c) =>
    c.json({ invites: (await listInvites({ ctx: ctxOf(c, deps) })).map(inviteView) }, 200);
