import { preferences } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { canonicalLocale } from "../helpers/locale";
import type { Preferences } from "../helpers/preferences";
import { ensureProfile } from "./ensure-profile";

/**
 * Replaces the document if `version` is the current revision (0 before the first PUT), and bumps
 * it: two devices saving at once cannot silently overwrite each other; the second gets 409 with the
 * current version and must read again. A save publishes `user.preferences_updated` with the whole
 * document, in the same transaction.
 */
export async function putPreferences({ ctx, input }: { ctx: Ctx; input: { userId: string; version: number; preferences: Preferences } }) {
  await ensureProfile({ ctx, input });
  const { db, clock, outbox } = ctx.deps;
  const document = { ...input.preferences, language: canonicalLocale(input.preferences.language) ?? input.preferences.language };
  const now = clock();
  const saved = await outbox.transaction(async (tx) => {
    const [row] =
      input.version === 0
        ? await tx
            .insert(preferences)
            .values({ userId: input.userId, version: 1, document, updatedAt: now })
            .onConflictDoNothing({ target: preferences.userId })
            .returning()
        : await tx
            .update(preferences)
            .set({ version: sql`${preferences.version} + 1`, document, updatedAt: now })
            .where(and(eq(preferences.userId, input.userId), eq(preferences.version, input.version)))
            .returning();
    if (row) {
      const event = { userId: input.userId, version: row.version, preferences: document, updatedAt: row.updatedAt.toISOString() };
      await outbox.enqueue(tx, "user.preferences_updated", event, ctx.requestId);
    }
    return row;
  });
  if (!saved) {
    const [current] = await db.select({ version: preferences.version }).from(preferences).where(eq(preferences.userId, input.userId)).limit(1);
    throw new ApiError({
      code: "CONFLICT",
      message: "The preferences were changed since you read them: read them again and reapply your change",
      details: { currentVersion: current?.version ?? 0 },
    });
  }
  return { version: saved.version, preferences: document, updatedAt: saved.updatedAt.toISOString() };
}
