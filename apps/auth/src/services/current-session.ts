import type { Db } from "@lodge/db";
import { sessions, users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { publicUser } from "./public-user";

function prepareCurrentSession(db: Db) {
  return db
    .select({ user: users, session: sessions })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, sql.placeholder("sessionId")),
        eq(sessions.userId, sql.placeholder("userId")),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql.placeholder("now")),
      ),
    )
    .limit(1)
    .prepare("auth_current_session");
}

/** Built once per database: on every authenticated request drizzle would spend longer building this query than Postgres spends running it. */
const currentSessionQueries = new WeakMap<Db, ReturnType<typeof prepareCurrentSession>>();

/** The bearer's live session and user, read from the database (so a revoked session fails here at once). */
export async function getCurrentSession({ ctx, input }: { ctx: Ctx; input: { userId: string; sessionId: string } }) {
  const { db, clock } = ctx.deps;
  let query = currentSessionQueries.get(db);
  if (!query) {
    query = prepareCurrentSession(db);
    currentSessionQueries.set(db, query);
  }
  // Placeholders skip the column's encoder: pass the timestamp as the driver value it would have made.
  const [row] = await query.execute({ sessionId: input.sessionId, userId: input.userId, now: clock().toISOString() });
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
