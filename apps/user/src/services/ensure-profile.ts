import { deletions, profiles } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

const deleted = () => new ApiError({ code: "UNAUTHORIZED", message: "Account deleted" });
const unknown = () => new ApiError({ code: "NOT_FOUND", message: "No such user" });

/**
 * The signed-in user's profile, created on first read when `user.registered` has not arrived yet
 * (its email is filled in when it does). Once the account's deletion has been requested, its
 * tombstone in `user.deletions` answers 401 at once, and no profile is created again.
 * A service client acting for a user (X-Lodge-User) may name any id: for it an unknown account or
 * one being deleted is a 404, and it never makes a profile.
 */
export async function ensureProfile({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db, clock } = ctx.deps;
  const [[existing], [tombstone]] = await Promise.all([
    db.select().from(profiles).where(eq(profiles.userId, input.userId)).limit(1),
    db.select({ userId: deletions.userId }).from(deletions).where(eq(deletions.userId, input.userId)).limit(1),
  ]);
  const byClient = ctx.principal?.kind === "client";
  if (tombstone) throw byClient ? unknown() : deleted();
  if (existing) return existing;
  if (byClient) throw unknown();
  const now = clock();
  await db.insert(profiles).values({ userId: input.userId, createdAt: now, updatedAt: now }).onConflictDoNothing({ target: profiles.userId });
  const [created] = await db.select().from(profiles).where(eq(profiles.userId, input.userId)).limit(1);
  if (!created) throw deleted();
  return created;
}
