import { botLinks } from "@lodge/db/schema";
import { and, eq, lt } from "drizzle-orm";
import type { Ctx } from "../deps";

/**
 * The user's language on their chat link, from preferences at `version` (as `user.preferences_updated`
 * sets it, and with the same guard: an older version changes nothing, so the event of this very
 * change arriving later is a no-op).
 */
export async function setLinkLanguage({ ctx, input }: { ctx: Ctx; input: { userId: string; language: string; version: number } }) {
  await ctx.deps.db
    .update(botLinks)
    .set({ language: input.language, preferencesVersion: input.version })
    .where(and(eq(botLinks.userId, input.userId), lt(botLinks.preferencesVersion, input.version)));
}
