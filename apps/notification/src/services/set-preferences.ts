import { categoryPreferences } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, sql } from "drizzle-orm";
import { type Category, lockedCategories } from "../catalog/index";
import type { Ctx } from "../deps";
import type { SettingsChannel } from "../helpers/delivery-plan";
import { getPreferences } from "./get-preferences";

export type CategoryChoices = Partial<Record<Category, Partial<Record<SettingsChannel, boolean | null>>>>;

/**
 * Sets the user's choices per category and channel (`null`: back to the default). Turning off a
 * category whose types are all critical is a 409, and then nothing is written.
 */
export async function setPreferences({ ctx, input }: { ctx: Ctx; input: { userId: string; categories: CategoryChoices } }) {
  const { db, clock } = ctx.deps;
  const changes = Object.entries(input.categories).flatMap(([category, byChannel]) =>
    Object.entries(byChannel ?? {}).map(([channel, enabled]) => ({ category: category as Category, channel, enabled: enabled ?? null })),
  );
  const refused = changes.find((change) => change.enabled === false && lockedCategories.includes(change.category));
  if (refused) {
    throw new ApiError({
      code: "CONFLICT",
      message: `${refused.category} notifications are critical and cannot be turned off`,
      details: [{ path: `categories.${refused.category}.${refused.channel}`, message: "critical: always delivered" }],
    });
  }
  const now = clock();
  await db.transaction(async (tx) => {
    for (const change of changes) {
      const key = and(
        eq(categoryPreferences.userId, input.userId),
        eq(categoryPreferences.category, change.category),
        eq(categoryPreferences.channel, change.channel),
      );
      if (change.enabled === null) await tx.delete(categoryPreferences).where(key);
      else
        await tx
          .insert(categoryPreferences)
          .values({ userId: input.userId, category: change.category, channel: change.channel, enabled: change.enabled, updatedAt: now })
          .onConflictDoUpdate({
            target: [categoryPreferences.userId, categoryPreferences.category, categoryPreferences.channel],
            set: { enabled: sql`excluded.enabled`, updatedAt: sql`excluded.updated_at` },
          });
    }
  });
  return getPreferences({ ctx, input: { userId: input.userId } });
}
