import type { Ctx } from "../deps";
import { lockUpload } from "../helpers/upload-lock";
import { findUpload, removeUpload } from "../helpers/uploads";

/** tus termination: waits for a PATCH still writing (its part is recorded, then removed here with the rest). */
export async function terminateUpload({ ctx, input }: { ctx: Ctx; input: { id: string; ownerId: string } }) {
  await findUpload(ctx, input.id, input.ownerId);
  const release = await lockUpload(ctx, input.id, ctx.deps.config.uploadLockWaitMs);
  try {
    await removeUpload(ctx, await findUpload(ctx, input.id, input.ownerId));
  } finally {
    await release();
  }
}
