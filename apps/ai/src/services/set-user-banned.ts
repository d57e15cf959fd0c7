import type { Ctx } from "../deps";
import { bannedKeyOf } from "../helpers/limiter";

/**
 * Marks a user banned (or no longer) for every instance: admit refuses a banned user's calls
 * whatever the credential. Auth revokes a banned user's sessions itself; this covers their API keys
 * and the service clients acting for them. Applying the same event twice changes nothing.
 */
export async function setUserBanned({ ctx, input }: { ctx: Ctx; input: { userId: string; banned: boolean } }) {
  const { redis, redisPrefix } = ctx.deps;
  const key = bannedKeyOf(redisPrefix, input.userId);
  if (input.banned) await redis.set(key, "1");
  else await redis.del(key);
  ctx.logger.info({ userId: input.userId, banned: input.banned }, "AI calls of a user banned or allowed again");
}
