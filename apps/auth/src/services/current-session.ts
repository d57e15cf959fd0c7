import { batchedLookup, oncePer, queryRows } from "@lodge/db";
import { sessions, users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { publicUserOfRow, type RawUserRow } from "./public-user";

type LiveSession = RawUserRow & {
  session_id: string;
  session_created_at: string;
  last_used_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
};

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Concurrent requests' reads share a statement (see batchedLookup). One primary-key probe per
 * session (a lateral subquery with LIMIT 1): with `id = any(...)` the planner takes a sequential scan
 * while a table has no statistics yet, and the sessions table is the one refreshes keep rewriting.
 */
const liveSessionReader = oncePer(({ db, clock }: Ctx["deps"]) =>
  batchedLookup({
    load: async (sessionIds: string[]) => {
      const now = clock().toISOString();
      const rows = await queryRows<LiveSession>(
        db,
        sql`
        select live.* from unnest(${sql.param(sessionIds)}::uuid[]) as wanted(id)
        cross join lateral (
          select s.id as session_id, s.created_at as session_created_at, s.last_used_at, s.expires_at, s.ip, s.user_agent,
            u.id, u.email, u.name, u.role, u.email_verified_at, u.created_at
          from ${sessions} as s join ${users} as u on u.id = s.user_id
          where s.id = wanted.id and s.revoked_at is null and s.expires_at > ${now}::timestamptz
          limit 1
        ) as live`,
      );
      return new Map(rows.map((row) => [row.session_id, row]));
    },
  }),
);

/** The bearer's live session and user, read from the database (so a revoked session fails here at once). */
export async function getCurrentSession({ ctx, input }: { ctx: Ctx; input: { userId: string; sessionId: string } }) {
  // Only our own signed tokens get here, but one malformed id would fail the whole shared statement.
  const row = uuidPattern.test(input.sessionId) ? await liveSessionReader(ctx.deps)(input.sessionId) : undefined;
  if (row?.id !== input.userId) throw new ApiError({ code: "UNAUTHORIZED", message: "Session is no longer valid" });
  const session = describeSession(
    {
      id: row.session_id,
      createdAt: new Date(row.session_created_at),
      lastUsedAt: new Date(row.last_used_at),
      expiresAt: new Date(row.expires_at),
      ip: row.ip,
      userAgent: row.user_agent,
    },
    input.sessionId,
  );
  return { user: publicUserOfRow(row), session };
}

export function describeSession(
  session: Pick<typeof sessions.$inferSelect, "id" | "createdAt" | "lastUsedAt" | "expiresAt" | "ip" | "userAgent">,
  currentSessionId: string,
) {
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
