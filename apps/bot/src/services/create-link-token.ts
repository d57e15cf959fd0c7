import { botErasedUsers, erasedUserKey, linkTokens } from "@lodge/db/schema";
import { ApiError, newSecretToken, secretTokenHash } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { deepLink } from "../helpers/deep-link";
import { lockLinksOf } from "../helpers/link-lock";

/**
 * A single-use deep link (`https://t.me/<bot>?start=<token>`) that links the chat which opens it to
 * the user. Only the token's hash is stored; asking again replaces the user's earlier link. An
 * account being deleted gets none (403).
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
    await lockLinksOf(tx, input.userId);
    const [erased] = await tx
      .select()
      .from(botErasedUsers)
      .where(eq(botErasedUsers.userKey, erasedUserKey(input.userId)));
    if (erased) throw new ApiError({ code: "FORBIDDEN", message: "This account is being deleted" });
    await tx.delete(linkTokens).where(eq(linkTokens.userId, input.userId));
    await tx.insert(linkTokens).values({ tokenHash: secretTokenHash(token), userId: input.userId, role: input.role, expiresAt, createdAt: clock() });
  });
  return { url: deepLink(username, token), expiresAt: expiresAt.toISOString() };
}
