import { preferences } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { defaultPreferences, readDocument } from "../helpers/preferences";
import { ensureProfile } from "./ensure-profile";

/** The user's preferences with their revision (0 and the defaults until the first PUT). */
export async function getPreferences({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  await ensureProfile({ ctx, input });
  const [row] = await ctx.deps.db.select().from(preferences).where(eq(preferences.userId, input.userId)).limit(1);
  if (!row) return { version: 0, preferences: defaultPreferences, updatedAt: null };
  return { version: row.version, preferences: readDocument(row.document), updatedAt: row.updatedAt.toISOString() };
}
