import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses } from "@lodge/kit";
import type { BotDeps } from "../../deps";
import { revokeInvite } from "../../services/revoke-invite";
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
    await revokeInvite({ ctx: ctxOf(c, deps), input: c.req.valid("param") });
    return c.body(null, 204);
  };
