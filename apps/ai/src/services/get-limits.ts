import type { Ctx } from "../deps";
import type { Caller } from "../helpers/calls";
import { limitKeysOf } from "../helpers/limiter";
import { limitsOf } from "../helpers/limits";
import { budgetPeriodsOf, fromNanoUsd } from "../helpers/periods";

/** A caller's limits as they apply now (the key's where it has lower ones) and what is left of the user's budgets (calls running count as reserved). */
export async function getLimits({ ctx, input }: { ctx: Ctx; input: Pick<Caller, "userId" | "keyId"> }) {
  const { deps } = ctx;
  const now = deps.clock();
  const limits = await limitsOf(deps, input);
  const keys = limitKeysOf(deps.redisPrefix, input, now);
  const [daily, monthly] = await deps.redis.mget(keys.dailySpend, keys.monthlySpend);
  const periods = budgetPeriodsOf(now);
  const budget = (limitUsd: number, spentNano: string | null, resetsAt: Date) => {
    const spentUsd = fromNanoUsd(Number(spentNano ?? 0));
    return { limitUsd, spentUsd, remainingUsd: Math.max(0, Number((limitUsd - spentUsd).toFixed(9))), resetsAt: resetsAt.toISOString() };
  };
  const { user } = limits;
  return {
    user: { rpm: user.rpm, tpm: user.tpm, concurrency: user.concurrency },
    key: limits.key,
    budgets: {
      daily: budget(limits.userUsd.dailyBudgetUsd, daily ?? null, periods.day.endsAt),
      monthly: budget(limits.userUsd.monthlyBudgetUsd, monthly ?? null, periods.month.endsAt),
    },
  };
}
