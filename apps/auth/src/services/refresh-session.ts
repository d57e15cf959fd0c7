import { queryRows } from "@lodge/db";
import { refreshTokens, sessions, users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { Ctx } from "../deps";
import { recordAudit } from "./audit";
import { publicUser } from "./public-user";
import { hashSecret, newSecret } from "./secrets";
import { issueTokens, revokeSessions } from "./sessions";
import { inTransaction } from "./transaction";

const invalid = () => new ApiError({ code: "UNAUTHORIZED", message: "Invalid refresh token" });

/**
 * Rotation: the presented token is spent and a new pair issued. A spent token presented again
 * within the grace window (two tabs refreshing at once) gets a pair too; after it, the reuse is
 * taken as theft and the whole session is revoked.
 */
export async function refreshSession({ ctx, input }: { ctx: Ctx; input: { refreshToken: string } }) {
  return (await rotateInOneStatement({ ctx, input })) ?? (await refreshCarefully({ ctx, input }));
}

type Rotated = {
  session_id: string;
  id: string;
  email: string;
  name: string | null;
  role: "user" | "admin";
  email_verified_at: string | null;
  created_at: string;
};

/**
 * The common case in one round trip: a valid token, unspent or within the grace window, of a live
 * session of a user in good standing is spent, its successor stored and the session touched, in one
 * statement (atomic; the UPDATE's row lock makes concurrent refreshes with the same token take
 * turns). Anything else (unknown, expired, revoked, banned, reused) returns undefined and goes the
 * careful way, which tells those cases apart.
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
  const user = publicUser({
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    emailVerifiedAt: row.email_verified_at === null ? null : new Date(row.email_verified_at),
    createdAt: new Date(row.created_at),
  });
  return { user, accessToken, refreshToken, expiresIn: config.accessTtlSeconds };
}

/** Every case, each told apart: the lookup, then reuse detection (revoking the session) or rotation. */
async function refreshCarefully({ ctx, input }: { ctx: Ctx; input: { refreshToken: string } }) {
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
