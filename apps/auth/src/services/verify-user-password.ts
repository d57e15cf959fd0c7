import { users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "../helpers/audit";
import { verifyPassword } from "../helpers/secrets";

/**
 * For another service confirming a sensitive action (the user service's account deletion): is this
 * the user's password? Rate limited per user like login, and failures are audited.
 */
export async function verifyUserPassword({ ctx, input }: { ctx: Ctx; input: { userId: string; password: string; clientId: string } }) {
  await ctx.deps.limiter.hit(`password-verify:${input.userId}`, ctx.deps.config.limits.loginPerIpEmail);
  const [user] = await ctx.deps.db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, input.userId)).limit(1);
  const valid = await verifyPassword(input.password, user?.passwordHash ?? ctx.deps.dummyPasswordHash);
  if (!user) throw new ApiError({ code: "NOT_FOUND", message: "No such user" });
  if (!valid) await recordAudit({ ctx, entry: { action: "password.verify_failed", userId: input.userId, details: { client: input.clientId } } });
  return { valid };
}
