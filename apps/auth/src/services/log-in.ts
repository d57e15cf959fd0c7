import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";
import { recordAudit } from "../helpers/audit";
import { claimLoginAttempt } from "../helpers/login-limits";
import { normalizeEmail } from "../helpers/public-user";
import { verifyPassword } from "../helpers/secrets";
import { openSession } from "../helpers/sessions";

/** One answer for an unknown email and a wrong password, at the same cost (a hash is always verified). */
export async function logIn({ ctx, input }: { ctx: Ctx; input: { email: string; password: string } }) {
  const { reads, dummyPasswordHash } = ctx.deps;
  const email = normalizeEmail(input.email);
  const attempt = await claimLoginAttempt({ ctx, input: { email } });
  const [user] = await reads.userByEmail.execute({ email });
  const valid = await verifyPassword(input.password, user?.passwordHash ?? dummyPasswordHash);
  if (!user || !valid) {
    await recordAudit({ ctx, entry: { action: "login.failed", userId: user?.id ?? null, details: user ? undefined : { reason: "unknown_email" } } });
    await attempt.failed(user);
    throw new ApiError({ code: "UNAUTHORIZED", message: "Invalid email or password" });
  }
  // Only after a correct password, so a suspension is not revealed to someone guessing.
  const outcome = await openSession({ ctx, user, audit: "login.succeeded" });
  if (outcome.kind === "gone") throw new ApiError({ code: "UNAUTHORIZED", message: "Invalid email or password" });
  if (outcome.kind === "banned") throw new ApiError({ code: "FORBIDDEN", message: "Account suspended" });
  await attempt.succeeded();
  return outcome.tokens;
}
