import { userLimits } from "@lodge/db/schema";
import type { Ctx } from "../deps";
import type { UserOverrides } from "../helpers/accounting";

/**
 * An admin's overrides of one user's limits and budgets (null: the default). This instance uses them
 * at once; the others within OVERRIDES_CACHE_MS (they read overrides once per user per that long).
 */
export async function setUserLimits({ ctx, input }: { ctx: Ctx; input: UserOverrides & { userId: string } }) {
  const { db, clock, accounting } = ctx.deps;
  const values = { ...input, updatedAt: clock() };
  const [row] = await db.insert(userLimits).values(values).onConflictDoUpdate({ target: userLimits.userId, set: values }).returning();
  if (!row) throw new Error("upsert returned no row");
  accounting.overrides.delete(input.userId);
  ctx.logger.info({ userId: input.userId, overrides: input }, "AI limits overridden");
  return row;
}
