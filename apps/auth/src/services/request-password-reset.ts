import { secretTokenHash } from "@lodge/kit";
import type { Ctx } from "../deps";
import { normalizeEmail } from "../helpers/public-user";

/**
 * Always answers the same (202), whether or not the account exists, and in the same time: the HTTP
 * path only counts and queues the request; `sendPasswordReset` looks the account up off the request
 * path. Past the email's limit nothing more is queued, yet the answer is still 202, so others'
 * requests cannot get the owner's own refused; only the caller's own IP limit answers 429.
 */
export async function requestPasswordReset({ ctx, input }: { ctx: Ctx; input: { email: string } }) {
  const { limiter, config, passwordResets } = ctx.deps;
  const email = normalizeEmail(input.email);
  await limiter.hit(`forgot:ip:${limiter.client(ctx.ip)}`, config.limits.forgotPerIp);
  if (!(await limiter.allows(`forgot:email:${secretTokenHash(email)}`, config.limits.forgotPerEmail))) return;
  await passwordResets.add("request", { email, requestId: ctx.requestId });
}
