import { files } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { notFound } from "../helpers/access";
import { removeObjects } from "../helpers/remove-objects";
import type { FileRow } from "../helpers/views";

/** Removes the file's bytes and every variant from storage, then its rows, and publishes `file.deleted`. */
export async function deleteFile({ ctx, input }: { ctx: Ctx; input: { file: FileRow } }) {
  const { file } = input;
  await removeObjects(ctx, file);
  const deleted = await ctx.deps.outbox.transaction(async (tx) => {
    const rows = await tx.delete(files).where(eq(files.id, file.id)).returning({ id: files.id });
    if (rows.length > 0) await ctx.deps.outbox.enqueue(tx, "file.deleted", { fileId: file.id, ownerId: file.ownerId }, ctx.requestId);
    return rows.length > 0;
  });
  ctx.deps.caches.files.delete(file.id);
  if (!deleted) throw notFound();
}
