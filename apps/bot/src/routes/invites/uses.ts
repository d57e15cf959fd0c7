import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { BotDeps } from "../../deps";
import { listInviteUses } from "../../services/list-invite-uses";
import { bearer, InviteId, InviteUse } from "../schemas";

export const listInviteUsesRoute = createRoute({
  method: "get",
  path: "/bot/invites/{id}/uses",
  tags: ["invites"],
  summary: "The chats an invite code admitted, newest first: the audit of its use (admins)",
  security: bearer,
  request: { params: InviteId },
  responses: {
    200: jsonResponse(z.object({ uses: z.array(InviteUse) }), "The admissions (the newest 1,000)"),
    ...errorResponses(400, 401, 403, 404),
  },
});

export const uses =
  (deps: BotDeps): RouteHandler<typeof listInviteUsesRoute, AppEnv> =>
  async (c) => {
    const rows = await listInviteUses({ ctx: ctxOf(c, deps), input: c.req.valid("param") });
    return c.json(
      {
        uses: rows.map((row) => ({ chatId: row.chatId, telegramUserId: row.telegramUserId, username: row.username, admittedAt: row.createdAt.toISOString() })),
      },
      200,
    );
  };
