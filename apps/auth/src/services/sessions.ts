import type { Tx } from "@lodge/db";
import { refreshTokens, sessions, type users } from "@lodge/db/schema";
import { and, eq, gt, inArray, isNull, ne } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "./audit";
import { publicUser } from "./public-user";
import { hashSecret, newSecret } from "./secrets";

type UserRow = typeof users.$inferSelect;
export type RevokeReason = "logout" | "revoked" | "revoked_others" | "password_changed" | "password_reset" | "refresh_reuse" | "banned" | "account_deleted";

/** Mints a refresh token for a session (stored hashed) and an access token bound to it. */
export async function issueTokens({ ctx, tx, user, sessionId }: { ctx: Ctx; tx: Tx; user: UserRow; sessionId: string }) {
  const { config, keys, clock } = ctx.deps;
  const refreshToken = newSecret();
  const now = clock();
  const expiresAt = new Date(now.getTime() + config.refreshTtlSeconds * 1000);
  // Independent of each other: both writes go out together on the transaction's connection (one
  // round trip, in this order) while the access token is signed.
  const [, , accessToken] = await Promise.all([
    tx.insert(refreshTokens).values({ sessionId, tokenHash: hashSecret(refreshToken), createdAt: now, expiresAt }),
    tx
      .update(sessions)
      .set({ lastUsedAt: now, expiresAt, ip: ctx.ip ?? null, userAgent: ctx.userAgent?.slice(0, 512) ?? null })
      .where(eq(sessions.id, sessionId)),
    keys.sign({ sid: sessionId, role: user.role }, { subject: user.id, issuer: config.issuer, audience: config.audience, ttlSeconds: config.accessTtlSeconds }),
  ]);
  return { user: publicUser(user), accessToken, refreshToken, expiresIn: config.accessTtlSeconds };
}

/** A new session with its first token pair. */
export async function startSession({ ctx, tx, user }: { ctx: Ctx; tx: Tx; user: UserRow }) {
  const now = ctx.deps.clock();
  const [session] = await tx
    .insert(sessions)
    .values({ userId: user.id, ip: ctx.ip ?? null, userAgent: ctx.userAgent?.slice(0, 512) ?? null, createdAt: now, lastUsedAt: now, expiresAt: now })
    .returning({ id: sessions.id });
  return issueTokens({ ctx, tx, user, sessionId: (session as { id: string }).id });
}

/**
 * Revokes sessions of a user (`only` some, or all `except` one, or all), audits it and queues
 * `auth.session_revoked` so every service drops their access tokens. Returns the revoked ids.
 */
export async function revokeSessions({
  ctx,
  tx,
  input,
}: {
  ctx: Ctx;
  tx: Tx;
  input: { userId: string; reason: RevokeReason; only?: string[]; except?: string; actorId?: string };
}): Promise<string[]> {
  const now = ctx.deps.clock();
  const conditions = [eq(sessions.userId, input.userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)];
  if (input.only) conditions.push(inArray(sessions.id, input.only));
  if (input.except) conditions.push(ne(sessions.id, input.except));
  const revoked = await tx
    .update(sessions)
    .set({ revokedAt: now, revokedReason: input.reason })
    .where(and(...conditions))
    .returning({ id: sessions.id });
  const sessionIds = revoked.map((row) => row.id);
  if (sessionIds.length === 0) return [];
  await recordAudit({
    ctx,
    tx,
    entry: { action: "session.revoked", userId: input.userId, actorId: input.actorId, details: { sessionIds, reason: input.reason } },
  });
  await ctx.deps.outbox.enqueue(tx, "auth.session_revoked", { userId: input.userId, sessionIds, reason: input.reason }, ctx.requestId);
  return sessionIds;
}
