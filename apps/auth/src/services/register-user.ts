import { users } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import { normalizeEmail } from "../helpers/public-user";
import { hashPassword } from "../helpers/secrets";
import { openSession } from "../helpers/sessions";

export async function registerUser({ ctx, input }: { ctx: Ctx; input: { email: string; password: string; name?: string } }) {
  await ctx.deps.limiter.hit(`register:ip:${ctx.deps.limiter.client(ctx.ip)}`, ctx.deps.config.limits.registerPerIp);
  const email = normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  return ctx.deps.outbox.transaction(async (tx) => {
    const [user] = await tx
      .insert(users)
      .values({ email, name: input.name ?? null, passwordHash, createdAt: ctx.deps.clock(), updatedAt: ctx.deps.clock() })
      .onConflictDoNothing({ target: users.email })
      .returning();
    if (!user) throw new ApiError({ code: "CONFLICT", message: "An account with this email already exists" });
    await ctx.deps.outbox.enqueue(tx, "user.registered", { userId: user.id, email, name: user.name }, ctx.requestId);
    const opened = await openSession({ ctx, tx, user, audit: "user.registered" });
    if (opened.kind !== "ok") throw new Error("a user registered in this transaction has no session");
    return opened.tokens;
  });
}
