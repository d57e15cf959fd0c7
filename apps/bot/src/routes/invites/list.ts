import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { botInvites } from "@lodge/db/schema";
import { type AppEnv, errorResponses, jsonResponse } from "@lodge/kit";
import { desc } from "drizzle-orm";
import type { BotDeps } from "../../deps";
import { bearer, Invite, inviteView } from "../schemas";

/** Invites listed at most (the newest). */
const LIST_LIMIT = 500;

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
  async (c) => {
    const rows = await deps.db.select().from(botInvites).orderBy(desc(botInvites.createdAt), desc(botInvites.id)).limit(LIST_LIMIT);
    return c.json({ invites: rows.map(inviteView) }, 200);
  };
