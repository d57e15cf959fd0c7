import { botInvites } from "@lodge/db/schema";
import { ApiError, newSecretToken, secretTokenHash } from "@lodge/kit";
import type { Ctx } from "../deps";
import { deepLink } from "../helpers/deep-link";

type CreateInviteInput = { maxUses: number; expiresAt: Date | null; note: string | null; createdBy: string | null };

/**
 * An invite code for an invite-only bot: returned once (only its hash is kept), used with
 * `/start <code>`; with the bot's deep link sending it when the bot knows its username.
 */
export async function createInvite({ ctx, input }: { ctx: Ctx; input: CreateInviteInput }) {
  const { db, clock, telegram } = ctx.deps;
  if (input.expiresAt && input.expiresAt <= clock())
    throw new ApiError({ code: "VALIDATION_FAILED", message: "expiresAt must be in the future", details: [{ path: "expiresAt", message: "in the past" }] });
  const code = newSecretToken();
  const [invite] = await db
    .insert(botInvites)
    .values({ ...input, codeHash: secretTokenHash(code), hint: code.slice(-4), createdAt: clock() })
    .returning();
  if (!invite) throw new Error("insert returned no row");
  ctx.logger.info({ inviteId: invite.id, maxUses: invite.maxUses, createdBy: input.createdBy }, "invite code made");
  const username = telegram?.username();
  return { code, url: username ? deepLink(username, code) : null, invite };
}
