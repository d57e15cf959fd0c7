import { deletions, knownFiles } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** On `file.uploaded`: who owns the file and what it is, so an avatar can be checked without asking the file service. */
export async function rememberFile({ ctx, input }: { ctx: Ctx; input: { fileId: string; ownerId: string; contentType: string; size: number } }) {
  await ctx.deps.db.transaction(async (tx) => {
    const [tombstone] = await tx.select({ userId: deletions.userId }).from(deletions).where(eq(deletions.userId, input.ownerId)).limit(1);
    if (tombstone) return;
    await tx.insert(knownFiles).values(input).onConflictDoNothing({ target: knownFiles.fileId });
  });
}
