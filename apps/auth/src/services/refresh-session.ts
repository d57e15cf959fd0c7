import { queryRows } from "@lodge/db";
import { refreshTokens, sessions, users } from "@lodge/db/schema";
import { ApiError, newSecretToken, secretTokenHash } from "@lodge/kit";
import { sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { Ctx } from "../deps";
import { publicUserOfRow, type RawUserRow } from "../helpers/public-user";
import { revokeReusedSession } from "../helpers/revoke-reused-session";
import { openLiveRefreshToken, sealRefreshToken, signAccessToken } from "../helpers/sessions";

const invalid = () => new ApiError({ code: "UNAUTHORIZED", message: "Invalid refresh token" });

/**
 * Rotation: the presented token is spent and its successor issued; a session has one live refresh
 * token at a time (a unique index holds to it). A spent token presented again within the grace
 * window (two tabs refreshing at once) is answered with the session's live token, the one its
 * rotation already issued, so no second chain is ever born; after the window the reuse is taken as
 * theft and the whole session is revoked.
 */
export async function refreshSession({ ctx, input }: { ctx: Ctx; input: { refreshToken: string } }) {
  const tokenHash = secretTokenHash(input.refreshToken);
  const rotated = await rotateInOneStatement({ ctx, input: { tokenHash } });
  if (rotated) return rotated;
  return answerSpentToken({ ctx, input: { tokenHash } });
}

type Rotated = RawUserRow & { session_id: string; auth_time: string };

/**
 * The common case in one round trip: an unspent, unexpired token of a live session of a user in
 * good standing is spent, its successor stored (sealed too, for replays within the grace window) and
 * the session touched, in one statement (atomic; the UPDATE's row lock makes concurrent refreshes
 * with the same token take turns, and the ones that wait then find it spent). Anything else returns
 * undefined.
 */
async function rotateInOneStatement({ ctx, input }: { ctx: Ctx; input: { tokenHash: string } }) {
  const { config, clock } = ctx.deps;
  const now = clock();
  const expiresAt = new Date(now.getTime() + config.refreshTtlSeconds * 1000);
  const refreshToken = newSecretToken();
  const successorHash = secretTokenHash(refreshToken);
  const sealed = await sealRefreshToken(ctx, refreshToken, successorHash);
  const [row] = await queryRows<Rotated>(
    ctx.deps.db,
    sql`
    with spent as (
      update ${refreshTokens} as t set spent_at = ${now.toISOString()}::timestamptz, sealed = null
      from ${sessions} as s, ${users} as u
      where t.token_hash = ${input.tokenHash} and s.id = t.session_id and u.id = s.user_id
        and t.spent_at is null and t.expires_at > ${now.toISOString()}::timestamptz
        and s.revoked_at is null and s.expires_at > ${now.toISOString()}::timestamptz and u.banned_at is null
      returning t.session_id, s.auth_time, u.id, u.email, u.name, u.role, u.email_verified_at, u.created_at
    ), issued as (
      insert into ${refreshTokens} (id, session_id, token_hash, created_at, expires_at, sealed)
      select ${uuidv7()}::uuid, session_id, ${successorHash}, ${now.toISOString()}::timestamptz, ${expiresAt.toISOString()}::timestamptz, ${sealed} from spent
    ), touched as (
      update ${sessions} set last_used_at = ${now.toISOString()}::timestamptz, expires_at = ${expiresAt.toISOString()}::timestamptz,
        ip = ${ctx.ip ?? null}, user_agent = ${ctx.userAgent?.slice(0, 512) ?? null}
      where id in (select session_id from spent)
    )
    select * from spent`,
  );
  if (!row) return undefined;
  const accessToken = await signAccessToken(ctx, { userId: row.id, sessionId: row.session_id, role: row.role, authTime: new Date(row.auth_time) });
  return { user: publicUserOfRow(row), accessToken, refreshToken, expiresIn: config.accessTtlSeconds };
}

type Presented = RawUserRow & {
  session_id: string;
  auth_time: string;
  spent_at: string | null;
  usable: boolean;
  live_hash: string | null;
  live_sealed: string | null;
};

/**
 * A token the fast path refused. Spent within the grace window, of a live session: answered with
 * the session's live token and a new access token (as Supabase does). Spent before it: reuse,
 * the session is revoked. Anything else (unknown, expired, unspent but revoked or banned): refused.
 */
async function answerSpentToken({ ctx, input }: { ctx: Ctx; input: { tokenHash: string } }) {
  const { config, clock } = ctx.deps;
  const now = clock();
  const [row] = await queryRows<Presented>(
    ctx.deps.db,
    sql`
    select t.session_id, t.spent_at, s.user_id as id, s.auth_time,
      (s.revoked_at is null and s.expires_at > ${now.toISOString()}::timestamptz and u.banned_at is null) as usable,
      live.token_hash as live_hash, live.sealed as live_sealed, u.email, u.name, u.role, u.email_verified_at, u.created_at
    from ${refreshTokens} as t
      join ${sessions} as s on s.id = t.session_id
      join ${users} as u on u.id = s.user_id
      left join ${refreshTokens} as live on live.session_id = t.session_id and live.spent_at is null and live.expires_at > ${now.toISOString()}::timestamptz
    where t.token_hash = ${input.tokenHash} and t.expires_at > ${now.toISOString()}::timestamptz and t.spent_at is not null`,
  );
  if (!row?.spent_at) throw invalid();
  const graceStart = now.getTime() - config.refreshGraceSeconds * 1000;
  if (new Date(row.spent_at).getTime() < graceStart) {
    await revokeReusedSession({ ctx, input: { userId: row.id, sessionId: row.session_id } });
    throw invalid();
  }
  if (!row.usable || !row.live_hash || !row.live_sealed) throw invalid();
  const refreshToken = await openLiveRefreshToken(ctx, row.live_sealed, row.live_hash);
  const accessToken = await signAccessToken(ctx, { userId: row.id, sessionId: row.session_id, role: row.role, authTime: new Date(row.auth_time) });
  return { user: publicUserOfRow(row), accessToken, refreshToken, expiresIn: config.accessTtlSeconds };
}
