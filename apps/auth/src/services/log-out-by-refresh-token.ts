import { refreshTokens, sessions } from "@lodge/db/schema";
import { ApiError, secretTokenHash } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { revokeReusedSession } from "../helpers/revoke-reused-session";
import { revokeSession } from "./revoke-session";

/**
 * Logout by refresh token (a browser whose access token has expired): revokes that token's session.
 * A token spent before the grace window is a reused one here too: the session is revoked as reuse
 * (audited) and the caller refused, as at refresh.
 */
export async function logOutByRefreshToken({ ctx, input }: { ctx: Ctx; input: { refreshToken: string } }) {
  const [row] = await ctx.deps.db
    .select({ sessionId: sessions.id, userId: sessions.userId, spentAt: refreshTokens.spentAt, expiresAt: refreshTokens.expiresAt })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, secretTokenHash(input.refreshToken)))
    .limit(1);
  if (!row) throw invalid();
  const now = ctx.deps.clock().getTime();
  const graceStart = now - ctx.deps.config.refreshGraceSeconds * 1000;
  if (row.spentAt && row.spentAt.getTime() < graceStart && row.expiresAt.getTime() > now) {
    await revokeReusedSession({ ctx, input: { userId: row.userId, sessionId: row.sessionId } });
    throw invalid();
  }
  await revokeSession({ ctx, input: { userId: row.userId, sessionId: row.sessionId, reason: "logout" } });
}

const invalid = () => new ApiError({ code: "UNAUTHORIZED", message: "Invalid refresh token" });
