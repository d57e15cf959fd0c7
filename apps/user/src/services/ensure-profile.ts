import { deletions, profiles } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

const deleted = () => new ApiError({ code: "UNAUTHORIZED", message: "Account deleted" });

/**
 * The signed-in user's profile, created on first read when `user.registered` has not arrived yet
 * (its email is filled in when it does). Once the account's deletion has been requested, its
 * tombstone in `user.deletions` answers 401 at once, and no profile is created again.
 */
export async function ensureProfile({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db, clock } = ctx.deps;
  const [[existing], [tombstone]] = await Promise.all([
    db.select().from(profiles).where(eq(profiles.userId, input.userId)).limit(1),
    db.select({ userId: deletions.userId }).from(deletions).where(eq(deletions.userId, input.userId)).limit(1),
  ]);
  if (tombstone) throw deleted();
  if (existing) return existing;
  const now = clock();
  await db.insert(profiles).values({ userId: input.userId, createdAt: now, updatedAt: now }).onConflictDoNothing({ target: profiles.userId });
  const [created] = await db.select().from(profiles).where(eq(profiles.userId, input.userId)).limit(1);
  if (!created) throw deleted();
  return created;
}
