import type { Ctx } from "../deps";
import { revokeSessions } from "../helpers/sessions";

export async function revokeOtherSessions({ ctx, input }: { ctx: Ctx; input: { userId: string; sessionId: string } }) {
  const revoked = await ctx.deps.outbox.transaction((tx) =>
    revokeSessions({ ctx, tx, input: { userId: input.userId, except: input.sessionId, reason: "revoked_others" } }),
  );
  return revoked.length;
}
