import { users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "./audit";
import { normalizeEmail } from "./public-user";
import { dummyPasswordHash, hashSecret, verifyPassword } from "./secrets";
import { startSession } from "./sessions";

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
  // Only after a correct password, so a suspension is not revealed to someone guessing. The row is
  // locked against a concurrent ban: either the ban sees (and revokes) this session, or we see the ban.
  const outcome = await ctx.deps.outbox.transaction(async (tx) => {
    const [current] = await tx.select({ bannedAt: users.bannedAt }).from(users).where(eq(users.id, user.id)).for("share");
    if (!current) return { kind: "deleted" as const };
    if (current.bannedAt) {
      await recordAudit({ ctx, tx, entry: { action: "login.failed", userId: user.id, details: { reason: "banned" } } });
      return { kind: "banned" as const };
    }
    await recordAudit({ ctx, tx, entry: { action: "login.succeeded", userId: user.id } });
    return { kind: "ok" as const, tokens: await startSession({ ctx, tx, user }) };
  });
  if (outcome.kind === "deleted") throw new ApiError({ code: "UNAUTHORIZED", message: "Invalid email or password" });
  if (outcome.kind === "banned") throw new ApiError({ code: "FORBIDDEN", message: "Account suspended" });
  return outcome.tokens;
}
