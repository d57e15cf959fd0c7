import { users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "./audit";
import { normalizeEmail } from "./public-user";
import { dummyPasswordHash, hashSecret, verifyPassword } from "./secrets";
import { startSession } from "./sessions";
import { inTransaction } from "./transaction";

/** One answer for an unknown email and a wrong password, at the same cost (a hash is always verified). */
export async function logIn({ ctx, input }: { ctx: Ctx; input: { email: string; password: string } }) {
  const { limiter, config, db } = ctx.deps;
  const email = normalizeEmail(input.email);
  await limiter.hit(`login:ip:${ctx.ip}`, config.limits.loginPerIp);
  await limiter.hit(`login:ip-email:${hashSecret(`${ctx.ip}|${email}`)}`, config.limits.loginPerIpEmail);
  const [user] = await db.select().from(users).where(eq(users.email, email)).limit(1);
  const valid = await verifyPassword(input.password, user?.passwordHash ?? dummyPasswordHash);
  if (!user || !valid) {
    await recordAudit({ ctx, entry: { action: "login.failed", userId: user?.id ?? null, details: user ? undefined : { reason: "unknown_email" } } });
    throw new ApiError({ code: "UNAUTHORIZED", message: "Invalid email or password" });
  }
  return inTransaction(ctx, async (tx) => {
    await recordAudit({ ctx, tx, entry: { action: "login.succeeded", userId: user.id } });
    return startSession({ ctx, tx, user });
  });
}
