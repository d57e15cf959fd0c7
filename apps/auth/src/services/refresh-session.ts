import { queryRows } from "@lodge/db";
import { refreshTokens, sessions, users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, gt, lt, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { Ctx } from "../deps";
import { recordAudit } from "./audit";
import { publicUserOfRow, type RawUserRow } from "./public-user";
import { hashSecret, newSecret } from "./secrets";
import { revokeSessions } from "./sessions";

const invalid = () => new ApiError({ code: "UNAUTHORIZED", message: "Invalid refresh token" });

/**
 * Rotation: the presented token is spent and a new pair issued. A spent token presented again
 * within the grace window (two tabs refreshing at once) gets a pair too; after it, the reuse is
 * taken as theft and the whole session is revoked.
 */
export async function refreshSession({ ctx, input }: { ctx: Ctx; input: { refreshToken: string } }) {
  const rotated = await rotateInOneStatement({ ctx, input });
  if (rotated) return rotated;
  await revokeOnReuse({ ctx, input });
  throw invalid();
}

type Rotated = RawUserRow & { session_id: string };

/**
 * The common case in one round trip: a valid token, unspent or within the grace window, of a live
 * session of a user in good standing is spent, its successor stored and the session touched, in one
 * statement (atomic; the UPDATE's row lock makes concurrent refreshes with the same token take
 * turns). Anything else (unknown, expired, revoked, banned, reused) returns undefined: refused.
 */
async function rotateInOneStatement({ ctx, input }: { ctx: Ctx; input: { refreshToken: string } }) {
  const { config, clock } = ctx.deps;
  const now = clock();
  const graceStart = new Date(now.getTime() - config.refreshGraceSeconds * 1000);
  const expiresAt = new Date(now.getTime() + config.refreshTtlSeconds * 1000);
  const refreshToken = newSecret();
  const [row] = await queryRows<Rotated>(
    ctx.deps.db,
    sql`
    with spent as (
      update ${refreshTokens} as t set spent_at = coalesce(t.spent_at, ${now.toISOString()}::timestamptz)
      from ${sessions} as s, ${users} as u
      where t.token_hash = ${hashSecret(input.refreshToken)} and s.id = t.session_id and u.id = s.user_id
        and t.expires_at > ${now.toISOString()}::timestamptz
        and (t.spent_at is null or t.spent_at >= ${graceStart.toISOString()}::timestamptz)
        and s.revoked_at is null and s.expires_at > ${now.toISOString()}::timestamptz and u.banned_at is null
      returning t.session_id, u.id, u.email, u.name, u.role, u.email_verified_at, u.created_at
    ), issued as (
      insert into ${refreshTokens} (id, session_id, token_hash, created_at, expires_at)
      select ${uuidv7()}::uuid, session_id, ${hashSecret(refreshToken)}, ${now.toISOString()}::timestamptz, ${expiresAt.toISOString()}::timestamptz from spent
    ), touched as (
      update ${sessions} set last_used_at = ${now.toISOString()}::timestamptz, expires_at = ${expiresAt.toISOString()}::timestamptz,
        ip = ${ctx.ip ?? null}, user_agent = ${ctx.userAgent?.slice(0, 512) ?? null}
      where id in (select session_id from spent)
    )
    select * from spent`,
  );
  if (!row) return undefined;
  const accessToken = await ctx.deps.keys.sign(
    { sid: row.session_id, role: row.role },
    { subject: row.id, issuer: config.issuer, audience: config.audience, ttlSeconds: config.accessTtlSeconds },
  );
  return { user: publicUserOfRow(row), accessToken, refreshToken, expiresIn: config.accessTtlSeconds };
}

/**
 * Why a token was refused matters in one case: a spent token presented after the grace window, for
 * a live session, is taken as theft, and the whole session is revoked (and audited).
 */
async function revokeOnReuse({ ctx, input }: { ctx: Ctx; input: { refreshToken: string } }) {
  const now = ctx.deps.clock();
  const graceStart = new Date(now.getTime() - ctx.deps.config.refreshGraceSeconds * 1000);
  const revoked = await ctx.deps.outbox.transaction(async (tx) => {
    const [reused] = await tx
      .select({ sessionId: sessions.id, userId: sessions.userId })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(and(eq(refreshTokens.tokenHash, hashSecret(input.refreshToken)), lt(refreshTokens.spentAt, graceStart), gt(refreshTokens.expiresAt, now)))
      .limit(1);
    if (!reused) return false;
    const sessionIds = await revokeSessions({ ctx, tx, input: { userId: reused.userId, only: [reused.sessionId], reason: "refresh_reuse" } });
    if (sessionIds.length === 0) return false;
    await recordAudit({ ctx, tx, entry: { action: "refresh.reused", userId: reused.userId, details: { sessionId: reused.sessionId } } });
    return true;
  });
  if (revoked) ctx.logger.warn("refresh token reuse detected, session revoked");
}
