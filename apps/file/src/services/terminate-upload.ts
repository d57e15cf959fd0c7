import type { Ctx } from "../deps";
import { lockUpload } from "../helpers/upload-lock";
import { removeUpload } from "../helpers/uploads";
import { findUpload } from "./find-upload";

/** tus termination: waits for a PATCH still writing (its part is recorded, then removed here with the rest). */
export async function terminateUpload({ ctx, input }: { ctx: Ctx; input: { id: string; ownerId: string } }) {
  await findUpload({ ctx, input });
  const release = await lockUpload(ctx, input.id, ctx.deps.config.uploadLockWaitMs);
  try {
    await removeUpload(ctx, await findUpload({ ctx, input }));
  } finally {
    await release();
  }
}
