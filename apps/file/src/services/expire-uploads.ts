import { uploads } from "@lodge/db/schema";
import { lt } from "drizzle-orm";
import type { Ctx } from "../deps";
import { tryLockUpload } from "../helpers/upload-lock";
import { removeUpload } from "../helpers/uploads";

/** The cleanup job: uploads past their expiry (abandoned, or completed long enough ago) leave storage and Postgres; one still being written waits for the next run. */
export async function expireUploads({ ctx }: { ctx: Ctx }) {
  const expired = await ctx.deps.db
    .select({ id: uploads.id, storageKey: uploads.storageKey })
    .from(uploads)
    .where(lt(uploads.expiresAt, ctx.deps.clock()))
    .limit(1000);
  let removed = 0;
  for (const upload of expired) {
    const release = await tryLockUpload(ctx, upload.id);
    if (!release) continue;
    try {
      await removeUpload(ctx, upload);
      removed += 1;
    } finally {
      await release();
    }
  }
  return removed;
}
