import type { AiDeps } from "../deps";
import type { Accounting, UserOverrides } from "./accounting";
import type { Caller } from "./calls";
import type { Limits } from "./limiter";
import { toNanoUsd } from "./periods";

/** A user's limits as they apply: an admin's override where there is one, the default from config otherwise. */
export function applyOverrides(defaults: Accounting["defaults"], override: UserOverrides) {
  return {
    rpm: override.rpm ?? defaults.rpm,
    tpm: override.tpm ?? defaults.tpm,
    concurrency: override.concurrency ?? defaults.concurrency,
    dailyBudgetUsd: override.dailyBudgetUsd ?? defaults.dailyBudgetUsd,
    monthlyBudgetUsd: override.monthlyBudgetUsd ?? defaults.monthlyBudgetUsd,
  };
}

/** A user's limits as they apply now (overrides from the per-instance cache). */
export async function userLimitsOf(deps: AiDeps, userId: string) {
  return applyOverrides(deps.accounting.defaults, await deps.accounting.overrides.get(userId));
}

export type EffectiveUserLimits = Awaited<ReturnType<typeof userLimitsOf>>;

/** The limits a caller's calls are held to: the user's, and the key's own where it set lower ones (never above the user's). */
export async function limitsOf(deps: AiDeps, caller: Pick<Caller, "userId" | "keyId">): Promise<Limits & { userUsd: EffectiveUserLimits }> {
  const [user, keyLimits] = await Promise.all([userLimitsOf(deps, caller.userId), caller.keyId ? deps.accounting.keyLimits.get(caller.keyId) : undefined]);
  const key = keyLimits
    ? {
        rpm: Math.min(keyLimits.rpm ?? user.rpm, user.rpm),
        tpm: Math.min(keyLimits.tpm ?? user.tpm, user.tpm),
        concurrency: Math.min(keyLimits.concurrency ?? user.concurrency, user.concurrency),
      }
    : null;
  return {
    user: {
      rpm: user.rpm,
      tpm: user.tpm,
      concurrency: user.concurrency,
      dailyBudgetNano: toNanoUsd(user.dailyBudgetUsd),
      monthlyBudgetNano: toNanoUsd(user.monthlyBudgetUsd),
    },
    key,
    userUsd: user,
  };
}
