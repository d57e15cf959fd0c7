import type { Tx } from "@lodge/db";
import { oneTimeTokens } from "@lodge/db/schema";
import { ApiError, newSecretToken, secretTokenHash } from "@lodge/kit";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Ctx } from "../deps";

type Purpose = (typeof oneTimeTokens.$inferSelect)["purpose"];

/** Issues a single-use token (earlier unused ones of the same purpose stop working). Only its hash is stored. */
export async function issueOneTimeToken({
  ctx,
  tx,
  input,
}: {
  ctx: Ctx;
  tx: Tx;
  input: { userId: string; email: string; purpose: Purpose; ttlSeconds: number };
}) {
  const now = ctx.deps.clock();
  await tx
    .update(oneTimeTokens)
    .set({ usedAt: now })
    .where(and(eq(oneTimeTokens.userId, input.userId), eq(oneTimeTokens.purpose, input.purpose), isNull(oneTimeTokens.usedAt)));
  const token = newSecretToken();
  const expiresAt = new Date(now.getTime() + input.ttlSeconds * 1000);
  await tx
    .insert(oneTimeTokens)
    .values({ userId: input.userId, email: input.email, purpose: input.purpose, tokenHash: secretTokenHash(token), createdAt: now, expiresAt });
  return { token, expiresAt };
}

/** Spends a token atomically: a second use, an expired or unknown token all get the same 400. */
export async function spendOneTimeToken({ ctx, tx, input }: { ctx: Ctx; tx: Tx; input: { token: string; purpose: Purpose } }) {
  const now = ctx.deps.clock();
  const [row] = await tx
    .update(oneTimeTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(oneTimeTokens.tokenHash, secretTokenHash(input.token)),
        eq(oneTimeTokens.purpose, input.purpose),
        isNull(oneTimeTokens.usedAt),
        gt(oneTimeTokens.expiresAt, now),
      ),
    )
    .returning();
  if (!row) throw new ApiError({ code: "VALIDATION_FAILED", status: 400, message: "Invalid or expired token" });
  return row;
}
