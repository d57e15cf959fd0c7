import { profiles } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { publishFile } from "./publish-file";

const PASSES = 3;

/**
 * After an avatar change is committed: the replaced avatar, and the profile's avatar now, are each
 * public exactly when they are the profile's avatar now (the file service keeps public a file its owner published). The profile is
 * read again after the calls, and the files settled again if it moved meanwhile, so a concurrent
 * change whose call lands late (A→B racing B→A) cannot leave the current avatar private. The change
 * is committed already: a file service failure here is logged, and leaves the old avatar public.
 */
export async function settleAvatarVisibility({ ctx, input }: { ctx: Ctx; input: { userId: string; fileIds: string[] } }) {
  const fileIds = new Set(input.fileIds);
  try {
    let avatar = await currentAvatar(ctx, input.userId);
    for (let pass = 0; pass < PASSES; pass += 1) {
      if (avatar) fileIds.add(avatar);
      for (const fileId of fileIds) await publishFile({ ctx, input: { fileId, public: fileId === avatar } });
      const settled = await currentAvatar(ctx, input.userId);
      if (settled === avatar) return;
      avatar = settled;
    }
  } catch (error) {
    ctx.logger.warn({ err: error, userId: input.userId }, "could not make a previous avatar private");
  }
}

async function currentAvatar(ctx: Ctx, userId: string): Promise<string | null> {
  const [row] = await ctx.deps.db.select({ avatarFileId: profiles.avatarFileId }).from(profiles).where(eq(profiles.userId, userId)).limit(1);
  return row?.avatarFileId ?? null;
}
