import { queryRows, type Tx } from "@lodge/db";
import { auditLog, refreshTokens, sessions, users } from "@lodge/db/schema";
import { newSecretToken, secretTokenHash } from "@lodge/kit";
import { and, eq, gt, inArray, isNull, ne, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { Ctx } from "../deps";
import { type AuditAction, recordAudit } from "./audit";
import { publicUserOfRow, type RawUserRow } from "./public-user";

export type RevokeReason = "logout" | "revoked" | "revoked_others" | "password_changed" | "password_reset" | "refresh_reuse" | "banned" | "account_deleted";

/**
 * Opens a session for a user whose credentials were just checked, in one statement (atomic, one
 * round trip). The user's row is locked against a concurrent ban or role change, and what is signed
 * (the role) and returned is what that locked row says, never what was read before the password
 * check: either a demotion or ban then sees (and revokes) this session or this sees it. For a user
 * in good standing the session (its `auth_time` now), its first refresh token and the `audit` entry
 * are written; for a banned one only a refused login is audited. A user deleted meanwhile has no
 * row: nothing is written.
 */
export async function openSession({
  ctx,
  tx,
  user,
  audit,
}: {
  ctx: Ctx;
  tx?: Tx;
  user: { id: string };
  audit: Extract<AuditAction, "login.succeeded" | "user.registered">;
}): Promise<{ kind: "ok"; tokens: TokenPair } | { kind: "banned" } | { kind: "gone" }> {
  const { config, clock } = ctx.deps;
  const at = clock();
  const now = at.toISOString();
  const expiresAt = new Date(at.getTime() + config.refreshTtlSeconds * 1000).toISOString();
  const sessionId = uuidv7();
  const refreshToken = newSecretToken();
  const ip = ctx.ip ?? null;
  const userAgent = ctx.userAgent?.slice(0, 512) ?? null;
  const [row] = await queryRows<RawUserRow & { banned: boolean }>(
    tx ?? ctx.deps.db,
    sql`
    with account as (
      select id, email, name, role, email_verified_at, created_at, banned_at from ${users} where id = ${user.id} for share
    ), session as (
      insert into ${sessions} (id, user_id, ip, user_agent, created_at, last_used_at, expires_at, auth_time)
      select ${sessionId}::uuid, id, ${ip}, ${userAgent}, ${now}::timestamptz, ${now}::timestamptz, ${expiresAt}::timestamptz, ${now}::timestamptz
      from account where banned_at is null
    ), first_token as (
      insert into ${refreshTokens} (id, session_id, token_hash, created_at, expires_at)
      select ${uuidv7()}::uuid, ${sessionId}::uuid, ${secretTokenHash(refreshToken)}, ${now}::timestamptz, ${expiresAt}::timestamptz
      from account where banned_at is null
    ), audited as (
      insert into ${auditLog} (id, action, user_id, ip, user_agent, details, at)
      select ${uuidv7()}::uuid, case when banned_at is null then ${audit} else 'login.failed' end, id, ${ip}, ${userAgent},
        case when banned_at is null then null else '{"reason":"banned"}'::jsonb end, ${now}::timestamptz
      from account
    )
    select id, email, name, role, email_verified_at, created_at, banned_at is not null as banned from account`,
  );
  if (!row) return { kind: "gone" };
  if (row.banned) return { kind: "banned" };
  const accessToken = await signAccessToken(ctx, { userId: row.id, sessionId, role: row.role, authTime: at });
  return { kind: "ok", tokens: { user: publicUserOfRow(row), accessToken, refreshToken, expiresIn: config.accessTtlSeconds } };
}

/**
 * A user's access token: its session, the role to act with, and `auth_time` (OIDC's claim, in
 * seconds): when the user last proved who they are in this session, which a refresh keeps, so a
 * sensitive operation can ask for a recent sign-in rather than a recent token.
 */
export function signAccessToken(ctx: Ctx, claims: { userId: string; sessionId: string; role: "user" | "admin"; authTime: Date }) {
  const { config, keys } = ctx.deps;
  return keys.sign(
    { sid: claims.sessionId, role: claims.role, auth_time: Math.floor(claims.authTime.getTime() / 1000) },
    { subject: claims.userId, issuer: config.issuer, audience: config.audience, ttlSeconds: config.accessTtlSeconds },
  );
}

/** A rotated session's live refresh token, sealed and bound to its own hash (a sealed value moved to another row does not open). */
export async function sealRefreshToken(ctx: Ctx, refreshToken: string, tokenHash: string): Promise<string> {
  const sealed = await ctx.deps.sealer.seal(refreshToken, `refresh:${tokenHash}`);
  return `${sealed.iv}.${sealed.data}`;
}

export async function openLiveRefreshToken(ctx: Ctx, stored: string, tokenHash: string): Promise<string> {
  const [iv = "", data = ""] = stored.split(".");
  return ctx.deps.sealer.open({ sealed: "A256GCM", iv, data }, `refresh:${tokenHash}`);
}

export type TokenPair = { user: ReturnType<typeof publicUserOfRow>; accessToken: string; refreshToken: string; expiresIn: number };

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
