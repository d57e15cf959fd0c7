import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { botInvites } from "@lodge/db/schema";
import { ApiError, type AppEnv, errorResponses } from "@lodge/kit";
import { and, eq, isNull } from "drizzle-orm";
import type { BotDeps } from "../../deps";
import { bearer, InviteId } from "../schemas";

export const revokeInviteRoute = createRoute({
  method: "delete",
  path: "/bot/invites/{id}",
  tags: ["invites"],
  summary: "Revoke an invite code: it admits no more chats (those it admitted stay) (admins)",
  security: bearer,
  request: { params: InviteId },
  responses: { 204: { description: "Revoked (or already was)" }, ...errorResponses(400, 401, 403, 404) },
});

export const revoke =
  (deps: BotDeps): RouteHandler<typeof revokeInviteRoute, AppEnv> =>
  async (c) => {
    const { id } = c.req.valid("param");
    await deps.db
      .update(botInvites)
      .set({ revokedAt: deps.clock() })
      .where(and(eq(botInvites.id, id), isNull(botInvites.revokedAt)));
    const [invite] = await deps.db.select({ id: botInvites.id }).from(botInvites).where(eq(botInvites.id, id));
    if (!invite) throw new ApiError({ code: "NOT_FOUND", message: "No such invite" });
    return c.body(null, 204);
  };
