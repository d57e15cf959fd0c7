import { type Db, queryRows } from "@lodge/db";
import { sessions, users } from "@lodge/db/schema";
import { batchedLookup } from "@lodge/kit";
import { eq, sql } from "drizzle-orm";
import type { RawUserRow } from "./helpers/public-user";

/** A live session joined with its user, as `/auth/me` reads it. */
export type LiveSession = RawUserRow & {
  session_id: string;
  session_created_at: string;
  last_used_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
};

export type Reads = ReturnType<typeof createReads>;

/**
 * The reads on the hottest paths (login, `/auth/me`), built once at boot into deps: drizzle would
 * otherwise build a query's SQL again on every call, which for a short statement costs more than
 * running it, and a batched reader only batches if every request shares the one instance.
 */
export function createReads({ db, clock }: { db: Db; clock: () => Date }) {
  const userByEmail = db
    .select()
    .from(users)
    .where(eq(users.email, sql.placeholder("email")))
    .limit(1)
    .prepare("auth_user_by_email");

  /**
   * Concurrent requests' reads share a statement (see batchedLookup). One primary-key probe per
   * session (a lateral subquery with LIMIT 1): with `id = any(...)` the planner takes a sequential scan
   * while a table has no statistics yet, and the sessions table is the one refreshes keep rewriting.
   */
  const liveSession = batchedLookup({
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
  });

  return {
    /** The user with this (normalized) email, if any: `.execute({ email })`. */
    userByEmail,
    /** The live (unrevoked, unexpired) session with this id and its user, or undefined. */
    liveSession,
  };
}
