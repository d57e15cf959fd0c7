import { knownFiles, profiles } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** On `file.deleted`: forget the file, and take it off a profile that has it as avatar (publishing `user.profile_updated`). */
export async function forgetFile({ ctx, input }: { ctx: Ctx; input: { fileId: string } }) {
  await ctx.deps.outbox.transaction(async (tx) => {
    await tx.delete(knownFiles).where(eq(knownFiles.fileId, input.fileId));
    const cleared = await tx
      .update(profiles)
      .set({ avatarFileId: null, updatedAt: ctx.deps.clock() })
      .where(eq(profiles.avatarFileId, input.fileId))
      .returning({ userId: profiles.userId });
    for (const { userId } of cleared) {
      await ctx.deps.outbox.enqueue(tx, "user.profile_updated", { userId, changed: ["avatarFileId"] }, ctx.requestId);
    }
  });
}
