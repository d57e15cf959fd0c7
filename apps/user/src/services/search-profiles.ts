import { profiles } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, asc, gt, ilike, or, type SQL } from "drizzle-orm";
import type { Ctx } from "../deps";
import { adminProfile } from "../helpers/present-profile";

/** `%`, `_` and `\` in the query are matched literally. */
function containsPattern(query: string): string {
  return `%${query.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

function encodeCursor(userId: string): string {
  return Buffer.from(userId).toString("base64url");
}

function decodeCursor(cursor: string): string {
  const userId = Buffer.from(cursor, "base64url").toString();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(userId)) {
    throw new ApiError({ code: "VALIDATION_FAILED", message: "Invalid query", details: [{ path: "cursor", message: "not a cursor from a previous page" }] });
  }
  return userId;
}

/**
 * Admin search by email or display name (case-insensitive substring), in user id order (ids are
 * UUIDv7, so oldest account first), with an opaque keyset cursor: pages stay consistent while
 * accounts are added.
 */
export async function searchProfiles({ ctx, input }: { ctx: Ctx; input: { q?: string; cursor?: string; limit: number } }) {
  const conditions: SQL[] = [];
  const query = input.q?.trim();
  if (query) {
    const pattern = containsPattern(query);
    conditions.push(or(ilike(profiles.email, pattern), ilike(profiles.displayName, pattern)) as SQL);
  }
  if (input.cursor) conditions.push(gt(profiles.userId, decodeCursor(input.cursor)));
  const rows = await ctx.deps.db
    .select()
    .from(profiles)
    .where(and(...conditions))
    .orderBy(asc(profiles.userId))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return { users: page.map((row) => adminProfile(row, ctx.deps.config)), nextCursor: rows.length > input.limit && last ? encodeCursor(last.userId) : null };
}
