import type { Tx } from "@lodge/db";
import { knownFiles, preferences, profiles } from "@lodge/db/schema";
import { eq } from "drizzle-orm";

/** Deletes every row this service keeps about the user (not the deletion tombstone). */
export async function deleteUserRows(tx: Tx, userId: string) {
  await tx.delete(profiles).where(eq(profiles.userId, userId));
  await tx.delete(preferences).where(eq(preferences.userId, userId));
  await tx.delete(knownFiles).where(eq(knownFiles.ownerId, userId));
}
