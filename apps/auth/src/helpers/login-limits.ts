import { secretTokenHash } from "@lodge/kit";
import type { Ctx } from "../deps";
import { recordAudit } from "./audit";

/**
 * Every limit on a login attempt, before the password is checked: per IP network and per IP network
 * + email (fixed windows), and per account an incremental wait (by email, known or not, so it reveals
 * nothing). The account's wait is skipped on networks the owner has proved to be theirs (a login or
 * a password reset from there), so a stranger guessing from anywhere holds only other strangers;
 * those networks keep the per-IP limits. Throws RATE_LIMITED (429 + Retry-After).
 */
export async function claimLoginAttempt({ ctx, input }: { ctx: Ctx; input: { email: string } }) {
  const { limiter, config, redis, clock } = ctx.deps;
  const { email } = input;
  const client = limiter.client(ctx.ip);
  const account = accountKey(email);
  // Reading a known network renews it, so a network in use stays known; one round trip with the per-IP limits.
  const [known] = await Promise.all([
    redis.getex(networkKey(ctx, email, client), "EX", config.limits.loginKnownNetworkSeconds),
    limiter.hitAll([
      [`login:ip:${client}`, config.limits.loginPerIp],
      [`login:ip-email:${secretTokenHash(`${client}|${email}`)}`, config.limits.loginPerIpEmail],
    ]),
  ]);
  const attempts = known ? 0 : await limiter.attempt(account, config.limits.loginPerAccount, clock());

  return {
    /** The wait starts with the first attempt past the free ones: tell the owner, once per episode. */
    failed: async (user: { id: string; email: string } | undefined) => {
      const { free, baseSeconds } = config.limits.loginPerAccount;
      if (!user || attempts !== free + 1) return;
      const data = { userId: user.id, email: user.email, failedAttempts: attempts, waitSeconds: baseSeconds };
      await ctx.deps.outbox.transaction(async (tx) => {
        await recordAudit({ ctx, tx, entry: { action: "login.throttled", userId: user.id, details: { failedAttempts: attempts } } });
        await ctx.deps.outbox.enqueue(tx, "auth.login_throttled", data, ctx.requestId);
      });
    },
    /**
     * A success from a new network makes it known. Only a success that went through the wait clears
     * it: the owner signing in from a known network must not hand strangers fresh free attempts.
     */
    succeeded: async () => {
      if (known) return;
      await Promise.all([limiter.reset(account), trustLoginNetwork({ ctx, input: { email, client } })]);
    },
  };
}

/** From now on (30 days, renewed by each attempt from there) logins to this account from `client`'s network skip the account's wait. */
export async function trustLoginNetwork({ ctx, input }: { ctx: Ctx; input: { email: string; client: string } }) {
  await ctx.deps.redis.set(networkKey(ctx, input.email, input.client), "1", "EX", ctx.deps.config.limits.loginKnownNetworkSeconds);
}

const accountKey = (email: string) => `login:account:${secretTokenHash(email)}`;
const networkKey = (ctx: Ctx, email: string, client: string) => `${ctx.deps.redisPrefix}login-network:${secretTokenHash(`${email}|${client}`)}`;
