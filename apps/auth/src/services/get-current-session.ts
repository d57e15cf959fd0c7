import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import { describeSession } from "../helpers/describe-session";
import { publicUserOfRow } from "../helpers/public-user";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The bearer's live session and user, read from the database (so a revoked session fails here at once). */
export async function getCurrentSession({ ctx, input }: { ctx: Ctx; input: { userId: string; sessionId: string } }) {
  // Only our own signed tokens get here, but one malformed id would fail the whole shared statement.
  const row = uuidPattern.test(input.sessionId) ? await ctx.deps.reads.liveSession(input.sessionId) : undefined;
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
