import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import { type RevokeReason, revokeSessions } from "../helpers/sessions";

/** Revokes one of the user's own sessions (404 for anyone else's, so ids cannot be probed). */
export async function revokeSession({ ctx, input }: { ctx: Ctx; input: { userId: string; sessionId: string; reason: RevokeReason } }) {
  const revoked = await ctx.deps.outbox.transaction((tx) =>
    revokeSessions({ ctx, tx, input: { userId: input.userId, only: [input.sessionId], reason: input.reason } }),
  );
  if (revoked.length === 0 && input.reason !== "logout") throw new ApiError({ code: "NOT_FOUND", message: "No such session" });
}
