import { botInvites } from "@lodge/db/schema";
import type { Ctx } from "../deps";
import { newSecretToken, tokenHash } from "../helpers/secret-token";

type CreateInviteInput = { maxUses: number; expiresAt: Date | null; note: string | null; createdBy: string | null };

/** An invite code for an invite-only bot: returned once (only its hash is kept), used with `/start <code>`. */
export async function createInvite({ ctx, input }: { ctx: Ctx; input: CreateInviteInput }) {
  const code = newSecretToken();
  const [invite] = await ctx.deps.db
    .insert(botInvites)
    .values({ ...input, codeHash: tokenHash(code), hint: code.slice(-4), createdAt: ctx.deps.clock() })
    .returning();
  if (!invite) throw new Error("insert returned no row");
  return { code, invite };
}
