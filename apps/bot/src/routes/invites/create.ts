import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse, userOf } from "@lodge/kit";
import type { BotDeps } from "../../deps";
import { createInvite } from "../../services/create-invite";
import { bearer, Invite, InviteCreate, inviteView } from "../schemas";

export const createInviteRoute = createRoute({
  method: "post",
  path: "/bot/invites",
  tags: ["invites"],
  summary: "Create an invite code for the invite-only bot (admins)",
  description:
    "The code is shown this once (only its hash is kept). With BOT_ACCESS=invite a chat sends `/start <code>` (or opens `url`) to be admitted; each admitted chat counts one use. An `expiresAt` in the past is 422.",
  security: bearer,
  request: { body: jsonBody(InviteCreate) },
  responses: {
    201: jsonResponse(
      Invite.extend({
        code: z.string().openapi({ description: "The code (192 random bits, base64url); not shown again" }),
        url: z.string().nullable().openapi({ description: "A deep link sending `/start <code>` (null until the bot reached Telegram)" }),
      }),
      "The invite, with its code",
    ),
    ...errorResponses(400, 401, 403, 422),
  },
});

export const create =
  (deps: BotDeps): RouteHandler<typeof createInviteRoute, AppEnv> =>
  async (c) => {
    const body = c.req.valid("json");
    const { code, url, invite } = await createInvite({
      ctx: ctxOf(c, deps),
      input: { maxUses: body.maxUses, expiresAt: body.expiresAt ? new Date(body.expiresAt) : null, note: body.note, createdBy: userOf(c).userId },
    });
    return c.json({ ...inviteView(invite), code, url }, 201);
  };
