import { sessions, users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Ctx } from "../deps";
import { publicUser } from "./public-user";

/** The bearer's live session and user, read from the database (so a revoked session fails here at once). */
export async function getCurrentSession({ ctx, input }: { ctx: Ctx; input: { userId: string; sessionId: string } }) {
  const [row] = await ctx.deps.db
    .select({ user: users, session: sessions })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, input.sessionId), eq(sessions.userId, input.userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, ctx.deps.clock())))
    .limit(1);
  if (!row) throw new ApiError({ code: "UNAUTHORIZED", message: "Session is no longer valid" });
  return { user: publicUser(row.user), session: describeSession(row.session, input.sessionId), userRow: row.user };
}

export function describeSession(session: typeof sessions.$inferSelect, currentSessionId: string) {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    ip: session.ip,
    userAgent: session.userAgent,
    current: session.id === currentSessionId,
  };
}

export async function listSessions({ ctx, input }: { ctx: Ctx; input: { userId: string; sessionId: string } }) {
  const rows = await ctx.deps.db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, input.userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, ctx.deps.clock())))
    .orderBy(sessions.createdAt);
  return rows.map((row) => describeSession(row, input.sessionId));
}
