import { type AiLimits, apiKeys } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, count, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { newApiKey } from "../helpers/api-keys";

type Input = { userId: string; name: string; expiresAt?: Date; limits?: AiLimits };

/** Makes a user an API key: the key itself is returned this once (only its hash is kept). At most AI_MAX_KEYS_PER_USER live keys each. */
export async function createApiKey({ ctx, input }: { ctx: Ctx; input: Input }) {
  const { db, clock, accounting } = ctx.deps;
  const now = clock();
  if (input.expiresAt && input.expiresAt <= now) throw new ApiError({ code: "VALIDATION_FAILED", message: "expiresAt must be in the future" });
  const { key, hash, prefix } = newApiKey();
  const row = await db.transaction(async (tx) => {
    // One creation at a time per user, so concurrent ones cannot pass the cap together.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`ai-keys:${input.userId}`}, 0))`);
    const [live] = await tx
      .select({ count: count() })
      .from(apiKeys)
      .where(and(eq(apiKeys.userId, input.userId), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))));
    if ((live?.count ?? 0) >= accounting.maxKeysPerUser) {
      throw new ApiError({ code: "CONFLICT", message: `At most ${accounting.maxKeysPerUser} API keys at once: revoke one first` });
    }
    const [created] = await tx
      .insert(apiKeys)
      .values({ userId: input.userId, name: input.name, prefix, hash, limits: input.limits ?? {}, createdAt: now, expiresAt: input.expiresAt ?? null })
      .returning();
    if (!created) throw new Error("insert returned no row");
    return created;
  });
  ctx.logger.info({ keyId: row.id, userId: row.userId }, "API key created");
  return { row, key };
}
