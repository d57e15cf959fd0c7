import { linkTokens } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { newSecretToken, tokenHash } from "../helpers/secret-token";

/**
 * A single-use deep link (`https://t.me/<bot>?start=<token>`) that links the chat which opens it to
 * the user. Only the token's hash is stored; asking again replaces the user's earlier link.
 */
export async function createLinkToken({ ctx, input }: { ctx: Ctx; input: { userId: string; role: string } }) {
  const { db, telegram, env, clock } = ctx.deps;
  const username = telegram?.username();
  if (!username)
    throw new ApiError({
      code: "UNAVAILABLE",
      message: "The Telegram bot is not configured (TELEGRAM_BOT_TOKEN) or has not reached Telegram yet",
      retryAfter: 30,
    });
  const token = newSecretToken();
  const expiresAt = new Date(clock().getTime() + env.BOT_LINK_TTL_SECONDS * 1000);
  await db.transaction(async (tx) => {
    await tx.delete(linkTokens).where(eq(linkTokens.userId, input.userId));
    await tx.insert(linkTokens).values({ tokenHash: tokenHash(token), userId: input.userId, role: input.role, expiresAt, createdAt: clock() });
  });
  return { url: `https://t.me/${username}?start=${token}`, expiresAt: expiresAt.toISOString() };
}
