import { refreshTokens, sessions, users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "./audit";
import { hashSecret } from "./secrets";
import { issueTokens, revokeSessions } from "./sessions";
import { inTransaction } from "./transaction";

const invalid = () => new ApiError({ code: "UNAUTHORIZED", message: "Invalid refresh token" });

/**
 * Rotation: the presented token is spent and a new pair issued. A spent token presented again
 * within the grace window (two tabs refreshing at once) gets a pair too; after it, the reuse is
 * taken as theft and the whole session is revoked.
 */
export async function refreshSession({ ctx, input }: { ctx: Ctx; input: { refreshToken: string } }) {
  const now = ctx.deps.clock();
  const outcome = await inTransaction(ctx, async (tx) => {
    // Lock the token row first: concurrent refreshes with the same token take turns.
    const [token] = await tx
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hashSecret(input.refreshToken)))
      .for("update")
      .limit(1);
    const [owner] = token
      ? await tx
          .select({ session: sessions, user: users })
          .from(sessions)
          .innerJoin(users, eq(users.id, sessions.userId))
          .where(eq(sessions.id, token.sessionId))
      : [];
    const row = token && owner ? { token, ...owner } : undefined;
    if (!row || row.session.revokedAt || row.token.expiresAt <= now || row.session.expiresAt <= now) return { kind: "invalid" as const };
    // A ban revokes every session; this also covers a session that slipped in concurrently with the ban.
    if (row.user.bannedAt) return { kind: "invalid" as const };
    if (row.token.spentAt) {
      const sinceSpent = now.getTime() - row.token.spentAt.getTime();
      if (sinceSpent > ctx.deps.config.refreshGraceSeconds * 1000) {
        await recordAudit({ ctx, tx, entry: { action: "refresh.reused", userId: row.user.id, details: { sessionId: row.session.id } } });
        await revokeSessions({ ctx, tx, input: { userId: row.user.id, only: [row.session.id], reason: "refresh_reuse" } });
        return { kind: "reused" as const };
      }
    }
    // Spending the presented token does not depend on issuing the new pair: the writes go out together.
    const spend = row.token.spentAt ? undefined : tx.update(refreshTokens).set({ spentAt: now }).where(eq(refreshTokens.id, row.token.id));
    const [tokens] = await Promise.all([issueTokens({ ctx, tx, user: row.user, sessionId: row.session.id }), spend]);
    return { kind: "ok" as const, tokens };
  });
  if (outcome.kind !== "ok") {
    if (outcome.kind === "reused") ctx.logger.warn("refresh token reuse detected, session revoked");
    throw invalid();
  }
  return outcome.tokens;
}
