import { queryRows, type Tx } from "@lodge/db";
import { auditLog, refreshTokens, sessions, users } from "@lodge/db/schema";
import { and, eq, gt, inArray, isNull, ne, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { Ctx } from "../deps";
import { type AuditAction, recordAudit } from "./audit";
import { publicUser } from "./public-user";
import { hashSecret, newSecret } from "./secrets";

type UserRow = typeof users.$inferSelect;
export type RevokeReason = "logout" | "revoked" | "revoked_others" | "password_changed" | "password_reset" | "refresh_reuse" | "banned" | "account_deleted";

/**
 * Opens a session for a user whose credentials were just checked, in one statement (atomic, one
 * round trip). The user's row is locked against a concurrent ban, so either the ban then sees (and
 * revokes) this session or this sees the ban. For a user in good standing the session, its first
 * refresh token and the `audit` entry are written; for a banned one only a refused login is
 * audited. A user deleted meanwhile has no row: nothing is written.
 */
export async function openSession({
  ctx,
  tx,
  user,
  audit,
}: {
  ctx: Ctx;
  tx?: Tx;
  user: UserRow;
  audit: Extract<AuditAction, "login.succeeded" | "user.registered">;
}): Promise<{ kind: "ok"; tokens: TokenPair } | { kind: "banned" } | { kind: "gone" }> {
  const { config, keys, clock } = ctx.deps;
  const at = clock();
  const now = at.toISOString();
  const expiresAt = new Date(at.getTime() + config.refreshTtlSeconds * 1000).toISOString();
  const sessionId = uuidv7();
  const refreshToken = newSecret();
  const ip = ctx.ip ?? null;
  const userAgent = ctx.userAgent?.slice(0, 512) ?? null;
  const [row] = await queryRows<{ banned: boolean }>(
    tx ?? ctx.deps.db,
    sql`
    with account as (
      select id, banned_at from ${users} where id = ${user.id} for share
    ), session as (
      insert into ${sessions} (id, user_id, ip, user_agent, created_at, last_used_at, expires_at)
      select ${sessionId}::uuid, id, ${ip}, ${userAgent}, ${now}::timestamptz, ${now}::timestamptz, ${expiresAt}::timestamptz
      from account where banned_at is null
    ), first_token as (
      insert into ${refreshTokens} (id, session_id, token_hash, created_at, expires_at)
      select ${uuidv7()}::uuid, ${sessionId}::uuid, ${hashSecret(refreshToken)}, ${now}::timestamptz, ${expiresAt}::timestamptz
      from account where banned_at is null
    ), audited as (
      insert into ${auditLog} (id, action, user_id, ip, user_agent, details, at)
      select ${uuidv7()}::uuid, case when banned_at is null then ${audit} else 'login.failed' end, id, ${ip}, ${userAgent},
        case when banned_at is null then null else '{"reason":"banned"}'::jsonb end, ${now}::timestamptz
      from account
    )
    select banned_at is not null as banned from account`,
  );
  if (!row) return { kind: "gone" };
  if (row.banned) return { kind: "banned" };
  const accessToken = await keys.sign(
    { sid: sessionId, role: user.role },
    { subject: user.id, issuer: config.issuer, audience: config.audience, ttlSeconds: config.accessTtlSeconds },
  );
  return { kind: "ok", tokens: { user: publicUser(user), accessToken, refreshToken, expiresIn: config.accessTtlSeconds } };
}

export type TokenPair = { user: ReturnType<typeof publicUser>; accessToken: string; refreshToken: string; expiresIn: number };

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
