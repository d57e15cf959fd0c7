import type { Ctx } from "../deps";
import { hashSecret } from "./secrets";

/**
 * The per-account login limit: an incremental wait on the account (by email, known or not, so it
 * reveals nothing), skipped on networks the owner has proved to be theirs (a login or a password
 * reset from there), so a stranger guessing from anywhere holds only other strangers. Those
 * networks keep the per-IP limits.
 */
export async function claimLoginAttempt({ ctx, input }: { ctx: Ctx; input: { email: string; client: string } }) {
  const { limiter, config, redis, clock } = ctx.deps;
  const account = accountKey(input.email);
  const known = (await redis.exists(networkKey(ctx, input.email, input.client))) === 1;
  const attempts = known ? 0 : await limiter.attempt(account, config.limits.loginPerAccount, clock());

  return {
    /** The wait starts with the first attempt past the free ones: tell the owner, once per episode. */
    failed: async (user: { id: string; email: string } | undefined) => {
      const { free, baseSeconds } = config.limits.loginPerAccount;
      if (!user || attempts !== free + 1) return;
      const data = { userId: user.id, email: user.email, failedAttempts: attempts, waitSeconds: baseSeconds };
      await ctx.deps.outbox.transaction((tx) => ctx.deps.outbox.enqueue(tx, "auth.login_throttled", data, ctx.requestId));
    },
    /**
     * Only a success that went through the wait clears it: the owner signing in from a known network
     * must not hand the strangers still guessing a fresh set of free attempts.
     */
    succeeded: async () => {
      await Promise.all([attempts > 0 ? limiter.reset(account) : undefined, trustLoginNetwork({ ctx, input })]);
    },
  };
}

/** From now on (30 days, renewed by each login) logins to this account from `client`'s network skip the account's wait. */
export async function trustLoginNetwork({ ctx, input }: { ctx: Ctx; input: { email: string; client: string } }) {
  await ctx.deps.redis.set(networkKey(ctx, input.email, input.client), "1", "EX", ctx.deps.config.limits.loginKnownNetworkSeconds);
}

const accountKey = (email: string) => `login:account:${hashSecret(email)}`;
const networkKey = (ctx: Ctx, email: string, client: string) => `${ctx.deps.redisPrefix}login-network:${hashSecret(`${email}|${client}`)}`;
