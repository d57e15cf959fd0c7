import { auditLog, oneTimeTokens, sessions, users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { asc, eq, or } from "drizzle-orm";
import type { Ctx } from "../deps";
import { adminUser } from "../helpers/public-user";

/**
 * Everything auth holds about a user, for their data export: the account (never the password
 * hash), every session, the audit entries about or by them, and the one-time tokens' metadata
 * (never the token hashes).
 */
export async function exportUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db } = ctx.deps;
  const [user] = await db.select().from(users).where(eq(users.id, input.userId)).limit(1);
  if (!user) throw new ApiError({ code: "NOT_FOUND", message: "No such user" });
  const [sessionRows, auditRows, tokenRows] = await Promise.all([
    db.select().from(sessions).where(eq(sessions.userId, user.id)).orderBy(asc(sessions.createdAt)),
    db
      .select()
      .from(auditLog)
      .where(or(eq(auditLog.userId, user.id), eq(auditLog.actorId, user.id)))
      .orderBy(asc(auditLog.at)),
    db.select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, user.id)).orderBy(asc(oneTimeTokens.createdAt)),
  ]);
  return {
    user: { ...adminUser(user), updatedAt: user.updatedAt.toISOString(), emailVerifiedAt: user.emailVerifiedAt?.toISOString() ?? null },
    sessions: sessionRows.map((session) => ({
      id: session.id,
      createdAt: session.createdAt.toISOString(),
      lastUsedAt: session.lastUsedAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      revokedAt: session.revokedAt?.toISOString() ?? null,
      revokedReason: session.revokedReason,
      ip: session.ip,
      userAgent: session.userAgent,
    })),
    auditLog: auditRows.map((entry) => ({
      at: entry.at.toISOString(),
      action: entry.action,
      userId: entry.userId,
      actorId: entry.actorId,
      ip: entry.ip,
      userAgent: entry.userAgent,
      details: entry.details ?? null,
    })),
    oneTimeTokens: tokenRows.map((token) => ({
      purpose: token.purpose,
      email: token.email,
      createdAt: token.createdAt.toISOString(),
      expiresAt: token.expiresAt.toISOString(),
      usedAt: token.usedAt?.toISOString() ?? null,
    })),
  };
}
