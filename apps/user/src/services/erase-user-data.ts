import type { Tx } from "@lodge/db";
import { knownFiles, preferences, profiles } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Deletes every row this service keeps about the user (not the deletion tombstone). */
export async function deleteUserRows(tx: Tx, userId: string) {
  await tx.delete(profiles).where(eq(profiles.userId, userId));
  await tx.delete(preferences).where(eq(preferences.userId, userId));
  await tx.delete(knownFiles).where(eq(knownFiles.ownerId, userId));
}

/** The user service's part of an account deletion: erase, and acknowledge with `user.data_erased`. Idempotent. */
export async function eraseUserData({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  await ctx.deps.outbox.transaction(async (tx) => {
    await deleteUserRows(tx, input.userId);
    await ctx.deps.outbox.enqueue(tx, "user.data_erased", { userId: input.userId, service: "user" }, ctx.requestId);
  });
}
