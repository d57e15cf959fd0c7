import type { Ctx } from "../deps";
import { hashSecret } from "./secrets";

/**
 * The per-account login limit: an incremental wait on the account (by email, known or not, so it
 * reveals nothing), skipped on networks the account has logged in from, so a stranger guessing
 * from anywhere slows only other strangers. Those networks still have the per-IP limits.
 */
export async function claimLoginAttempt({ ctx, input }: { ctx: Ctx; input: { email: string; client: string } }) {
  const { limiter, config, redis, redisPrefix, clock } = ctx.deps;
  const account = hashSecret(input.email);
  const known = await redis.exists(knownKey(redisPrefix, account, input.client));
  const attempts = known ? 0 : await limiter.attempt(`login:account:${account}`, config.limits.loginPerAccount, clock());

  return {
    /** The wait starts with the first attempt past the free ones: tell the owner, once per episode. */
    failed: async (user: { id: string; email: string } | undefined) => {
      const { free, baseSeconds } = config.limits.loginPerAccount;
      if (!user || attempts !== free + 1) return;
      await ctx.deps.outbox.transaction((tx) =>
        ctx.deps.outbox.enqueue(
          tx,
          "auth.login_throttled",
          { userId: user.id, email: user.email, failedAttempts: attempts, waitSeconds: baseSeconds },
          ctx.requestId,
        ),
      );
    },
    succeeded: async () => {
      await limiter.reset(`login:account:${account}`);
      await redis.set(knownKey(redisPrefix, account, input.client), "1", "EX", config.limits.loginKnownNetworkSeconds);
    },
  };
}

const knownKey = (prefix: string, account: string, client: string) => `${prefix}login-known:${hashSecret(`${account}|${client}`)}`;
