import { auditLog, oneTimeTokens, refreshTokens, sessions } from "@lodge/db/schema";
import { lt, or } from "drizzle-orm";
import type { Ctx } from "../deps";

const DAY = 24 * 3600 * 1000;
const AUDIT_RETENTION_DAYS = 365;

/** Removes what can no longer be used: expired tokens and sessions, old audit entries, retired keys. */
export async function runMaintenance({ ctx }: { ctx: Ctx }) {
  const { db, clock, keys } = ctx.deps;
  const now = clock().getTime();
  // Spent tokens are kept until they expire, for reuse detection.
  const tokens = await db
    .delete(refreshTokens)
    .where(lt(refreshTokens.expiresAt, new Date(now)))
    .returning({ id: refreshTokens.id });
  const oldSessions = await db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, new Date(now - DAY)), lt(sessions.revokedAt, new Date(now - DAY))))
    .returning({ id: sessions.id });
  const oneTime = await db
    .delete(oneTimeTokens)
    .where(lt(oneTimeTokens.expiresAt, new Date(now - DAY)))
    .returning({ id: oneTimeTokens.id });
  const audit = await db
    .delete(auditLog)
    .where(lt(auditLog.at, new Date(now - AUDIT_RETENTION_DAYS * DAY)))
    .returning({ id: auditLog.id });
  const retiredKeys = await keys.pruneRetired();
  return { refreshTokens: tokens.length, sessions: oldSessions.length, oneTimeTokens: oneTime.length, auditEntries: audit.length, retiredKeys };
}
