import { z } from "@hono/zod-openapi";
import { safeText } from "@lodge/kit";

export const bearer = [{ bearer: [] }];

export const LinkState = z
  .object({
    linked: z.boolean(),
    chatId: z.number().int().nullable().openapi({ description: "The linked Telegram chat (a private chat's id is the Telegram user's)" }),
    username: z.string().nullable().openapi({ description: "The chat's Telegram @username when it has one" }),
    linkedAt: z.string().nullable(),
  })
  .openapi("TelegramLink");

export const Invite = z
  .object({
    id: z.uuid(),
    hint: z.string().openapi({ description: "The code's last 4 characters" }),
    maxUses: z.number().int(),
    uses: z.number().int(),
    expiresAt: z.string().nullable(),
    note: z.string().nullable(),
    createdBy: z.uuid().nullable(),
    revokedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Invite");

export const InviteCreate = z
  .object({
    maxUses: z.number().int().min(1).max(100_000).default(1).openapi({ description: "Chats the code admits (1: single use)" }),
    expiresAt: z.iso.datetime({ offset: true }).nullable().default(null).openapi({ description: "When the code stops working (ISO 8601); null: never" }),
    note: safeText({ max: 200, refuse: "controls", trim: "last" })
      .nullable()
      .default(null)
      .openapi({ description: "Who the code is for (up to 200 characters)" }),
  })
  .strict()
  .openapi("InviteCreate");

export const InviteId = z.object({ id: z.uuid() });

export const InviteUse = z
  .object({
    chatId: z.number().int().openapi({ description: "The chat the code admitted (a private chat's id is the Telegram user's)" }),
    telegramUserId: z.number().int().openapi({ description: "The Telegram user who sent the code" }),
    username: z.string().nullable().openapi({ description: "Their @username then, when they had one" }),
    admittedAt: z.string(),
  })
  .openapi("InviteUse");

type InviteRow = {
  id: string;
  hint: string;
  maxUses: number;
  uses: number;
  expiresAt: Date | null;
  note: string | null;
  createdBy: string | null;
  revokedAt: Date | null;
  createdAt: Date;
};

export function inviteView(invite: InviteRow): z.infer<typeof Invite> {
  return {
    ...invite,
    expiresAt: invite.expiresAt?.toISOString() ?? null,
    revokedAt: invite.revokedAt?.toISOString() ?? null,
    createdAt: invite.createdAt.toISOString(),
  };
}
