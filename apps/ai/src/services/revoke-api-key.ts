import { apiKeys } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { mirrorRevokedKey } from "../helpers/api-keys";

/**
 * Revokes one of the user's keys, at once on every instance: Postgres first, then its record in
 * Redis, which every instance reads the key from. Revoking a revoked key again writes that record
 * again (a retry after Redis failed) and changes nothing else.
 */
export async function revokeApiKey({ ctx, input }: { ctx: Ctx; input: { userId: string; id: string } }) {
  const { db, clock } = ctx.deps;
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${clock().toISOString()}::timestamptz)` })
    .where(and(eq(apiKeys.id, input.id), eq(apiKeys.userId, input.userId)))
    .returning();
  if (!row) throw new ApiError({ code: "NOT_FOUND", message: "No such API key" });
  await mirrorRevokedKey(ctx.deps, row);
  ctx.logger.info({ keyId: row.id, userId: row.userId }, "API key revoked");
}
