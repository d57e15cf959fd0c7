import { sessions } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Ctx } from "../deps";
import { describeSession } from "../helpers/describe-session";

/** The user's live sessions; the bearer's own must be among them (it was read anyway, so a revoked one is refused here at once). */
export async function listSessions({ ctx, input }: { ctx: Ctx; input: { userId: string; sessionId: string } }) {
  const rows = await ctx.deps.db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, input.userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, ctx.deps.clock())))
    .orderBy(sessions.createdAt);
  if (!rows.some((row) => row.id === input.sessionId)) throw new ApiError({ code: "UNAUTHORIZED", message: "Session is no longer valid" });
  return rows.map((row) => describeSession(row, input.sessionId));
}
