import { batchedLookup, type Db, oncePer } from "@lodge/db";
import { sessions, users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { publicUser } from "./public-user";

const liveSessions = oncePer((db: Db) =>
  db
    .select({
      user: { id: users.id, email: users.email, name: users.name, role: users.role, emailVerifiedAt: users.emailVerifiedAt, createdAt: users.createdAt },
      session: {
        id: sessions.id,
        userId: sessions.userId,
        createdAt: sessions.createdAt,
        lastUsedAt: sessions.lastUsedAt,
        expiresAt: sessions.expiresAt,
        ip: sessions.ip,
        userAgent: sessions.userAgent,
      },
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(sql`${sessions.id} = any(${sql.placeholder("sessionIds")})`, isNull(sessions.revokedAt), gt(sessions.expiresAt, sql.placeholder("now"))))
    .prepare("auth_live_sessions"),
);

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Concurrent requests' reads share a statement (see batchedLookup). */
const liveSessionReader = oncePer(({ db, clock }: Ctx["deps"]) => {
  const query = liveSessions(db);
  return batchedLookup({
    load: async (sessionIds: string[]) => {
      // Placeholders skip the column's encoder: pass the timestamp as the driver value it would have made.
      const rows = await query.execute({ sessionIds, now: clock().toISOString() });
      return new Map(rows.map((row) => [row.session.id, row]));
    },
  });
});

/** The bearer's live session and user, read from the database (so a revoked session fails here at once). */
export async function getCurrentSession({ ctx, input }: { ctx: Ctx; input: { userId: string; sessionId: string } }) {
  // Only our own signed tokens get here, but one malformed id would fail the whole shared statement.
  const row = uuidPattern.test(input.sessionId) ? await liveSessionReader(ctx.deps)(input.sessionId) : undefined;
  if (row?.session.userId !== input.userId) throw new ApiError({ code: "UNAUTHORIZED", message: "Session is no longer valid" });
  return { user: publicUser(row.user), session: describeSession(row.session, input.sessionId) };
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

export async function listSessions({ ctx, input }: { ctx: Ctx; input: { userId: string; sessionId: string } }) {
  const rows = await ctx.deps.db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, input.userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, ctx.deps.clock())))
    .orderBy(sessions.createdAt);
  return rows.map((row) => describeSession(row, input.sessionId));
}
