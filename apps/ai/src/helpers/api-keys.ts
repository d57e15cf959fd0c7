import { type AiLimits, apiKeys } from "@lodge/db/schema";
import { newSecretToken, secretTokenHash } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { AiDeps } from "../deps";

/** `lk_` and 256 random bits, base64url: what a user's scripts send as their OpenAI API key. */
export const apiKeyPattern = /^lk_[A-Za-z0-9_-]{43}$/;

export function newApiKey() {
  const key = `lk_${newSecretToken()}`;
  return { key, hash: secretTokenHash(key), prefix: key.slice(0, 11) };
}

/** What a request needs to know about a key, as kept in Redis for every instance. */
export type KeyRecord = { id: string; userId: string; limits: AiLimits; expiresAt: number | null; revokedAt: number | null };

/** How long a key's record stays in Redis before it is read from Postgres again. */
const MIRROR_TTL_MS = 5 * 60_000;
const mirrorKey = (deps: Pick<AiDeps, "redisPrefix">, hash: string) => `${deps.redisPrefix}ai:key:${hash}`;

type KeyRow = Pick<typeof apiKeys.$inferSelect, "id" | "userId" | "limits" | "expiresAt" | "revokedAt">;
const recordOf = (row: KeyRow): KeyRecord => ({
  id: row.id,
  userId: row.userId,
  limits: row.limits,
  expiresAt: row.expiresAt?.getTime() ?? null,
  revokedAt: row.revokedAt?.getTime() ?? null,
});

/**
 * The key with this hash, from its record in Redis (one round trip), or from Postgres on a miss.
 * A miss is written with NX so it never replaces what a revocation wrote meanwhile; a revocation
 * overwrites the record (see `mirrorRevokedKey`), so every instance refuses the key at once.
 */
export async function findKeyByHash(deps: AiDeps, hash: string): Promise<KeyRecord | null> {
  const mirrored = await deps.redis.get(mirrorKey(deps, hash));
  if (mirrored) return JSON.parse(mirrored) as KeyRecord;
  const [row] = await deps.db.select().from(apiKeys).where(eq(apiKeys.hash, hash)).limit(1);
  if (!row) return null;
  const record = recordOf(row);
  await deps.redis.set(mirrorKey(deps, hash), JSON.stringify(record), "PX", MIRROR_TTL_MS, "NX");
  return record;
}

/** Writes a revoked key's record over whatever Redis holds, so no instance accepts it any more. */
export async function mirrorRevokedKey(deps: AiDeps, row: KeyRow & { hash: string }) {
  await deps.redis.set(mirrorKey(deps, row.hash), JSON.stringify(recordOf(row)), "PX", MIRROR_TTL_MS);
}
