import { userLimits } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import type { UserOverrides } from "../helpers/accounting";
import { applyOverrides } from "../helpers/limits";

/** One user's overrides as stored (null: the default) and the limits that apply to them. */
export async function getUserLimits({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const [row] = await ctx.deps.db.select().from(userLimits).where(eq(userLimits.userId, input.userId)).limit(1);
  const overrides: UserOverrides = {
    rpm: row?.rpm ?? null,
    tpm: row?.tpm ?? null,
    concurrency: row?.concurrency ?? null,
    dailyBudgetUsd: row?.dailyBudgetUsd ?? null,
    monthlyBudgetUsd: row?.monthlyBudgetUsd ?? null,
  };
  return { overrides, effective: applyOverrides(ctx.deps.accounting.defaults, overrides), updatedAt: row?.updatedAt ?? null };
}
